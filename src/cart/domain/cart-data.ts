/**
 * What a cart is, as plain data. The tables (store/cart.entity.ts) must hold exactly these
 * fields; a compile-time check there says so.
 */
export interface CartFields {
  userId: string;
  currency: string;
  /** Bumped under the row lock on every change; 0 is a cart that was never changed. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date;
  /** The cart's hold at Inventory: its stock reserved for a while ('' when it holds nothing). */
  reservationId: string;
  /** When the hold lapses; null when there is none. Past it the units are anyone's. */
  holdsUntil: Date | null;
  /** A checkout in progress has the cart until then: another waits its turn (it fails), the sweeper leaves the hold be. */
  checkoutUntil: Date | null;
  /** MERGED: a guest cart moved into a signed-in user's cart (`mergedInto`); it takes no more changes. */
  status: "OPEN" | "MERGED";
  mergedInto: string;
  /** What a guest gave to be reached at ('' none), for abandoned-cart mail. */
  guestEmail: string;
  /** When the cart was last reported abandoned (CartAbandoned); null never. */
  abandonedAt: Date | null;
}

/** One line: the product as it was when added (name, image, price snapshot). */
export interface CartLineFields {
  productId: string;
  sku: string;
  name: string;
  imageUrl: string;
  quantity: number;
  unitPriceMinor: bigint;
  variantId: string;
  sellerId: string;
  variantAttributes: Record<string, string>;
}

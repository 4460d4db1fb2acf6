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

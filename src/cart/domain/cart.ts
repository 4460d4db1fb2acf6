import type { ProductInfo } from "../../catalog/catalog-ports.js";
import { InactiveProductsError, UnknownProductsError, VariantChoiceError } from "../../catalog/catalog-errors.js";
import { lineKey, sellableOf, type Sellable } from "../../catalog/sellable.js";
import { FailedPreconditionError, LimitExceededError, NotFoundError } from "../../platform/errors/domain-errors.js";
import type { CartFields, CartLineFields } from "./cart-data.js";

export type CartLineView = Readonly<CartLineFields>;
/** A cart as readers see it. */
export type CartView = Readonly<CartFields> & { readonly lines: readonly CartLineView[] };

export interface CartRules {
  /** Different products in one cart. */
  readonly maxLines: number;
  /** Units of one product. */
  readonly maxQuantity: number;
}

/** A line's fix found at checkout: a new quantity (0 removes it) and the price to keep. */
export interface LineFix {
  readonly productId: string;
  readonly variantId: string;
  readonly newQuantity: number;
  readonly newUnitPriceMinor: bigint;
}

/** A hold past its time holds nothing, whether or not it has been released yet. */
export function holdLapsed(cart: { readonly holdsUntil: Date | null }, now: Date): boolean {
  return !cart.holdsUntil || cart.holdsUntil.getTime() <= now.getTime();
}

/** True when a line is new or has more units than before: only such a change can find stock short. */
export function grows(before: readonly CartLineFields[], after: readonly CartLineFields[]): boolean {
  return after.some((line) => {
    const old = before.find((candidate) => candidate.productId === line.productId && candidate.variantId === line.variantId);
    return line.quantity > (old?.quantity ?? 0);
  });
}

/** Past its expiry a cart is empty for every reader, even before the cleanup job removes it. */
export function isExpired(cart: { readonly expiresAt: Date }, now: Date): boolean {
  return cart.expiresAt.getTime() <= now.getTime();
}

/** A cart line is one product, or one variant of it. */
export interface LineRef {
  readonly productId: string;
  readonly variantId: string;
}

/** Only products on sale go into a cart, by variant where they have variants; looked up before the cart is locked. */
export function requireSellable(line: LineRef, product: ProductInfo | undefined): Sellable {
  if (!product) throw new UnknownProductsError([line.productId]);
  const sellable = sellableOf(product, line.variantId);
  if ("problem" in sellable) throw new VariantChoiceError([{ field: "variant_id", description: sellable.problem }]);
  if (!sellable.active) throw new InactiveProductsError([lineKey(sellable)]);
  return sellable;
}

/**
 * The cart aggregate: its methods are the only way a cart's lines change. A line is a snapshot
 * of the product when it was added (name, price); checkout prices again for real.
 */
export class Cart {
  readonly #data: CartFields;
  #lines: CartLineFields[];

  private constructor(view: CartView) {
    const { lines, ...data } = view;
    this.#data = { ...data };
    this.#lines = lines.map((line) => ({ ...line }));
  }

  static restore(view: CartView): Cart {
    return new Cart(view);
  }

  get view(): CartView {
    return { ...this.#data, lines: this.#lines.map((line) => ({ ...line })) };
  }

  isExpired(now: Date): boolean {
    return isExpired(this.#data, now);
  }

  /** A merged guest cart takes no more changes: the shopper's cart is the one it was merged into. */
  requireOpen(): void {
    if (this.#data.status === "MERGED") {
      throw new FailedPreconditionError("CART_MERGED", `this guest cart was merged into the signed-in cart; use that one`, [
        { type: "CART", subject: `carts/${this.#data.userId}`, description: "was merged" },
      ]);
    }
  }

  /** A merge's result (domain/merge.ts): at most `maxLines` lines, as AddItem allows. */
  replaceLines(lines: readonly CartLineFields[], rules: CartRules): void {
    if (lines.length > rules.maxLines) {
      throw new LimitExceededError(
        "CART_FULL",
        `carts/${this.#data.userId}`,
        `a cart holds at most ${rules.maxLines} different products (the merge would make ${lines.length})`,
      );
    }
    this.#lines = lines.map((line) => ({ ...line }));
  }

  /** Closes a guest cart into the cart it was merged into: empty, holding nothing, no more changes. */
  mergeInto(userId: string): void {
    this.#lines = [];
    Object.assign(this.#data, { status: "MERGED", mergedInto: userId, reservationId: "", holdsUntil: null });
  }

  /** Adds to the line of the same product and variant, or starts one; the snapshot takes it as it is now. */
  add(product: Sellable, quantity: number, rules: CartRules): void {
    const line = this.#line(product);
    const total = (line?.quantity ?? 0) + quantity;
    if (total > rules.maxQuantity) {
      throw new LimitExceededError(
        "CART_LINE_LIMIT",
        `products/${lineKey(product)}`,
        `at most ${rules.maxQuantity} of one product per cart (would be ${total})`,
      );
    }
    if (!line && this.#lines.length >= rules.maxLines) {
      throw new LimitExceededError("CART_FULL", `carts/${this.#data.userId}`, `a cart holds at most ${rules.maxLines} different products`);
    }
    const snapshot = {
      sku: product.sku,
      name: product.name,
      imageUrl: product.imageUrl,
      unitPriceMinor: product.price.amountMinor,
      sellerId: product.sellerId,
      variantAttributes: { ...product.attributes },
    };
    if (line) Object.assign(line, snapshot, { quantity: total });
    else this.#lines.push({ productId: product.productId, variantId: product.variantId, quantity, ...snapshot });
  }

  /** 0 removes the line. */
  setQuantity(ref: LineRef, quantity: number): void {
    const line = this.#require(ref);
    if (quantity === 0) this.remove(ref);
    else line.quantity = quantity;
  }

  remove(ref: LineRef): void {
    const line = this.#require(ref);
    this.#lines = this.#lines.filter((candidate) => candidate !== line);
  }

  clear(): void {
    this.#lines = [];
  }

  /** What checkout found moved: lines lowered, re-priced or (at 0) removed. */
  fix(fixes: readonly LineFix[]): void {
    for (const fix of fixes) {
      const line = this.#line(fix);
      if (!line) continue;
      if (fix.newQuantity === 0) this.remove(fix);
      else Object.assign(line, { quantity: fix.newQuantity, unitPriceMinor: fix.newUnitPriceMinor });
    }
  }

  /** The cart's stock is held at Inventory under this id until then ('' and null: it holds nothing). */
  holding(reservationId: string, until: Date | null): void {
    Object.assign(this.#data, { reservationId, holdsUntil: until });
  }

  /** The repository's word that the change is stored. */
  stored(version: number, updatedAt: Date, expiresAt: Date): void {
    Object.assign(this.#data, { version, updatedAt, expiresAt });
  }

  #line(ref: LineRef): CartLineFields | undefined {
    return this.#lines.find((line) => line.productId === ref.productId && line.variantId === ref.variantId);
  }

  #require(ref: LineRef): CartLineFields {
    const line = this.#line(ref);
    if (!line) throw new NotFoundError("cart item", lineKey(ref));
    return line;
  }
}

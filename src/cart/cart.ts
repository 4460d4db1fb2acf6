import type { ProductInfo } from "../catalog/catalog-ports.js";
import { InactiveProductsError, UnknownProductsError } from "../catalog/catalog-errors.js";
import { LimitExceededError, NotFoundError } from "../platform/domain-errors.js";
import type { CartFields, CartLineFields } from "./cart.entity.js";

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
  readonly newQuantity: number;
  readonly newUnitPriceMinor: bigint;
}

/** Past its expiry a cart is empty for every reader, even before the cleanup job removes it. */
export function isExpired(cart: { readonly expiresAt: Date }, now: Date): boolean {
  return cart.expiresAt.getTime() <= now.getTime();
}

/** Only products on sale go into a cart; the caller looks the product up before the cart is locked. */
export function requireSellable(productId: string, product: ProductInfo | undefined): ProductInfo {
  if (!product) throw new UnknownProductsError([productId]);
  if (!product.active) throw new InactiveProductsError([productId]);
  return product;
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

  /** Adds to the line of the same product, or starts one; the snapshot takes the product as it is now. */
  add(product: ProductInfo, quantity: number, rules: CartRules): void {
    const line = this.#line(product.id);
    const total = (line?.quantity ?? 0) + quantity;
    if (total > rules.maxQuantity) {
      throw new LimitExceededError(
        "CART_LINE_LIMIT",
        `products/${product.id}`,
        `at most ${rules.maxQuantity} of one product per cart (would be ${total})`,
      );
    }
    if (!line && this.#lines.length >= rules.maxLines) {
      throw new LimitExceededError("CART_FULL", `carts/${this.#data.userId}`, `a cart holds at most ${rules.maxLines} different products`);
    }
    const snapshot = { sku: product.sku, name: product.name, imageUrl: product.imageUrl, unitPriceMinor: product.price.amountMinor };
    if (line) Object.assign(line, snapshot, { quantity: total });
    else this.#lines.push({ productId: product.id, quantity, ...snapshot });
  }

  /** 0 removes the line. */
  setQuantity(productId: string, quantity: number): void {
    const line = this.#require(productId);
    if (quantity === 0) this.remove(productId);
    else line.quantity = quantity;
  }

  remove(productId: string): void {
    this.#require(productId);
    this.#lines = this.#lines.filter((line) => line.productId !== productId);
  }

  clear(): void {
    this.#lines = [];
  }

  /** What checkout found moved: lines lowered, re-priced or (at 0) removed. */
  fix(fixes: readonly LineFix[]): void {
    for (const fix of fixes) {
      const line = this.#line(fix.productId);
      if (!line) continue;
      if (fix.newQuantity === 0) this.remove(fix.productId);
      else Object.assign(line, { quantity: fix.newQuantity, unitPriceMinor: fix.newUnitPriceMinor });
    }
  }

  /** The repository's word that the change is stored. */
  stored(version: number, updatedAt: Date, expiresAt: Date): void {
    Object.assign(this.#data, { version, updatedAt, expiresAt });
  }

  #line(productId: string): CartLineFields | undefined {
    return this.#lines.find((line) => line.productId === productId);
  }

  #require(productId: string): CartLineFields {
    const line = this.#line(productId);
    if (!line) throw new NotFoundError("cart item", productId);
    return line;
  }
}

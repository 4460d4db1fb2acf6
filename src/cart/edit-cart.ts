import type { EntityManager } from "@mikro-orm/postgresql";
import type { ProductInfo } from "../catalog/catalog-ports.js";
import { InactiveProductsError, UnknownProductsError } from "../catalog/catalog-errors.js";
import { LimitExceededError, NotFoundError } from "../platform/domain-errors.js";
import type { CartLimits } from "./cart-deps.js";
import { CartItem, type Cart } from "./cart.entity.js";

const lineOf = (cart: Cart, productId: string) => cart.items.getItems().find((item) => item.productId === productId);

function requireLine(cart: Cart, productId: string): CartItem {
  const line = lineOf(cart, productId);
  if (!line) throw new NotFoundError("cart item", productId);
  return line;
}

/** Only products on sale go into a cart; the caller looked the product up before locking the cart. */
export function requireSellable(productId: string, product: ProductInfo | undefined): ProductInfo {
  if (!product) throw new UnknownProductsError([productId]);
  if (!product.active) throw new InactiveProductsError([productId]);
  return product;
}

/** Adds to the line of the same product, or starts one; the snapshot takes the product as it is now. */
export function addToCart(cart: Cart, tx: EntityManager, product: ProductInfo, quantity: number, limits: CartLimits): void {
  const line = lineOf(cart, product.id);
  const total = (line?.quantity ?? 0) + quantity;
  if (total > limits.maxQuantity) {
    throw new LimitExceededError(
      "CART_LINE_LIMIT",
      `products/${product.id}`,
      `at most ${limits.maxQuantity} of one product per cart (would be ${total})`,
    );
  }
  if (!line && cart.items.length >= limits.maxLines) {
    throw new LimitExceededError("CART_FULL", `carts/${cart.userId}`, `a cart holds at most ${limits.maxLines} different products`);
  }
  const snapshot = { sku: product.sku, name: product.name, imageUrl: product.imageUrl, unitPriceMinor: product.price.amountMinor };
  if (line) Object.assign(line, snapshot, { quantity: total });
  else cart.items.add(tx.create(CartItem, { cart, productId: product.id, quantity, ...snapshot }));
}

export function setQuantity(cart: Cart, tx: EntityManager, productId: string, quantity: number): void {
  const line = requireLine(cart, productId);
  if (quantity === 0) removeLine(cart, tx, line);
  else line.quantity = quantity;
}

export function removeFromCart(cart: Cart, tx: EntityManager, productId: string): void {
  removeLine(cart, tx, requireLine(cart, productId));
}

export function clearCart(cart: Cart, tx: EntityManager): void {
  for (const line of cart.items.getItems()) removeLine(cart, tx, line);
}

export function removeLine(cart: Cart, tx: EntityManager, line: CartItem): void {
  cart.items.remove(line);
  tx.remove(line);
}

import type { OrderDeps } from "../orders/order-deps.js";

export interface CartLimits {
  readonly maxLines: number;
  readonly maxQuantity: number;
  readonly ttlMs: number;
}

/** Checkout places orders through the order use case, so the cart needs what orders need. */
export interface CartDeps extends OrderDeps {
  readonly cart: CartLimits;
}

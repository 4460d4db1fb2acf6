import type { OrderDeps } from "../orders/order-deps.js";

export interface CartLimits {
  readonly maxLines: number;
  readonly maxQuantity: number;
  readonly ttlMs: number;
  /** How long a signed-in user's cart holds its stock after its last change; 0: no holds. */
  readonly holdMs: number;
  /** The same for a guest's cart. */
  readonly guestHoldMs: number;
}

/** Checkout places orders through the order use case, so the cart needs what orders need. */
export interface CartDeps extends OrderDeps {
  readonly cart: CartLimits;
}

import type { OrderDeps } from "../orders/order-deps.js";
import { GUEST_PREFIX, type CapabilityTokens } from "../platform/auth/capabilities.js";

export interface CartLimits {
  readonly maxLines: number;
  readonly maxQuantity: number;
  readonly ttlMs: number;
  /** How long a signed-in user's cart holds its stock after its last change; 0: no holds. */
  readonly holdMs: number;
  /** The same for a guest's cart. */
  readonly guestHoldMs: number;
}

/** How long tokens handed to guests last. */
export interface GuestTokens {
  readonly cartTokenTtlMs: number;
  readonly orderLinkTtlMs: number;
}

/** Checkout places orders through the order use case, so the cart needs what orders need. */
export interface CartDeps extends OrderDeps {
  readonly cart: CartLimits;
  readonly capabilities: CapabilityTokens;
  readonly guests: GuestTokens;
  /** Where cart events go (CART_EVENTS_TOPIC). */
  readonly cartEventsTopic: string;
}

/** How long the cart under `key` holds its stock: a guest's cart by its own setting. */
export function holdMsOf(key: string, limits: CartLimits): number {
  return key.startsWith(GUEST_PREFIX) ? limits.guestHoldMs : limits.holdMs;
}

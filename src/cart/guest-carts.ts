import type { EntityManager } from "@mikro-orm/postgresql";
import { createOrderLink, liveOrderLink } from "../guests/order-links.js";
import { GUEST_PREFIX } from "../platform/auth/capabilities.js";
import { newId } from "../platform/clock.js";
import type { CartDeps } from "./cart-deps.js";
import type { CartView } from "./domain/cart.js";
import { findCart } from "./store/cart-queries.js";
import { createGuestCart } from "./store/cart-repository.js";

/** True for the key of a guest's cart (and the user id its orders are placed under). */
export const isGuestKey = (key: string) => key.startsWith(GUEST_PREFIX);

/**
 * A new, empty guest cart and the token that grants it. The token is signed against real time,
 * as whoever verifies it (jose) reads real time; the cart's own expiry follows the service clock.
 */
export async function startGuestCart(
  em: EntityManager,
  deps: CartDeps,
  email: string,
): Promise<{ key: string; cart: CartView | null; token: string; tokenExpiresAt: Date }> {
  const now = deps.clock.now();
  const cartId = newId();
  const key = `${GUEST_PREFIX}${cartId}`;
  await createGuestCart(em, key, {
    currency: deps.pricing.currency,
    now,
    expiresAt: new Date(now.getTime() + deps.cart.ttlMs),
    guestEmail: email,
  });
  const issued = new Date();
  const tokenExpiresAt = new Date(issued.getTime() + deps.guests.cartTokenTtlMs);
  return { key, cart: await findCart(em, key), token: await deps.capabilities.guestCart(cartId, issued, tokenExpiresAt), tokenExpiresAt };
}

/** In the guest order's transaction: the link the guest reads it with. */
export async function linkGuestOrder(tx: EntityManager, deps: CartDeps, orderId: string): Promise<void> {
  await createOrderLink(tx, orderId, deps.clock.now(), deps.guests.orderLinkTtlMs);
}

/**
 * The order's live link as a token, signed again from its id and expiry (the same token each
 * time: no token is ever stored); undefined when staff revoked it or it expired.
 */
export async function orderLinkOf(
  em: EntityManager,
  deps: CartDeps,
  orderId: string,
): Promise<{ token: string; expiresAt: Date } | undefined> {
  const link = await liveOrderLink(em, orderId);
  return link && { token: await deps.capabilities.orderLink(link), expiresAt: link.expiresAt };
}

import type { EntityManager } from "@mikro-orm/postgresql";
import type { CartDeps } from "./cart-deps.js";
import type { Cart, CartView } from "./domain/cart.js";
import { lockCart, saveCart } from "./store/cart-repository.js";

/**
 * The one way a cart changes: in one transaction, lock it (created if missing), check
 * expected_version, let the aggregate change (an expired cart starts empty), store what differs
 * with a new expiry and version, and record the idempotent response.
 */
export async function mutateCart(
  em: EntityManager,
  deps: CartDeps,
  target: { userId: string; expectedVersion?: bigint },
  change: (cart: Cart) => void,
  beforeCommit?: (tx: EntityManager, cart: CartView) => Promise<void>,
): Promise<CartView> {
  return em.transactional(async (tx) => {
    const now = deps.clock.now();
    const expiresAt = new Date(now.getTime() + deps.cart.ttlMs);
    const locked = await lockCart(tx, target, { currency: deps.pricing.currency, now, expiresAt });
    const { cart } = locked;
    if (cart.isExpired(now)) cart.clear();
    change(cart);
    await saveCart(tx, locked, now, expiresAt);
    const view = cart.view;
    await beforeCommit?.(tx, view);
    return view;
  });
}

import type { EntityManager } from "@mikro-orm/postgresql";
import type { Logger } from "pino";
import { holdMsOf, type CartDeps } from "./cart-deps.js";
import { followLines, type UndoHold } from "./cart-holds.js";
import type { Cart, CartView } from "./domain/cart.js";
import { lockCart, saveCart } from "./store/cart-repository.js";
import { cartEvent, lineChanges } from "./store/cart-events.js";

/** What a cart change runs in: the call's database session, deadline and logger. */
export interface CartScope {
  readonly em: EntityManager;
  readonly signal: AbortSignal;
  readonly log: Logger;
}

/**
 * The one way a cart changes: in one transaction, lock it (created if missing), check
 * expected_version, let the aggregate change (an expired cart starts empty), hold the lines'
 * stock again (cart-holds.ts), store what differs with a new expiry and version, and record the
 * idempotent response. A hold made for a change that does not commit is given back.
 */
export async function mutateCart(
  scope: CartScope,
  deps: CartDeps,
  target: { userId: string; expectedVersion?: bigint },
  change: (cart: Cart) => void,
  beforeCommit?: (tx: EntityManager, cart: CartView) => Promise<void>,
): Promise<CartView> {
  let undo: UndoHold | undefined;
  try {
    return await scope.em.transactional(async (tx) => {
      const now = deps.clock.now();
      const expiresAt = new Date(now.getTime() + deps.cart.ttlMs);
      const locked = await lockCart(tx, target, { currency: deps.pricing.currency, now, expiresAt });
      const { cart } = locked;
      cart.requireOpen();
      if (cart.isExpired(now)) cart.clear();
      change(cart);
      const context = { inventory: deps.inventory, holdMs: holdMsOf(target.userId, deps.cart), now, signal: scope.signal, log: scope.log };
      undo = await followLines(cart, locked.stored, context);
      const about = {
        key: target.userId,
        version: locked.stored.version + 1,
        currency: locked.stored.currency,
        topic: deps.cartEventsTopic,
      };
      const events = lineChanges(locked.stored.lines, cart.view.lines, about.currency).map((payload) => cartEvent(about, payload, now));
      await saveCart(tx, locked, now, expiresAt, events);
      const view = cart.view;
      await beforeCommit?.(tx, view);
      return view;
    });
  } catch (error) {
    await undo?.();
    throw error;
  }
}

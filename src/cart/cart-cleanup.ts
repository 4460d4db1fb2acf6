import type { MikroORM } from "@mikro-orm/postgresql";
import type { Logger } from "pino";
import type { Inventory } from "../catalog/catalog-ports.js";
import type { Clock } from "../platform/clock.js";
import { runEvery } from "../platform/periodic.js";
import { abandonIdleCarts, deleteExpiredCarts, releaseLapsedHolds } from "./store/cart-repository.js";

/** Deletes carts nobody touched within their TTL (their lines go with them). Returns a stop function. */
export function startCartCleanup(orm: MikroORM, intervalMs: number, log: Logger): () => Promise<void> {
  return runEvery(intervalMs, async () => {
    try {
      const deleted = await deleteExpiredCarts(orm.em.fork(), new Date());
      if (deleted) log.info({ carts: deleted }, "expired carts deleted");
    } catch (error) {
      log.warn({ err: error }, "cart cleanup failed; it runs again at the next interval");
    }
  });
}

/** What the cart sweepers run with. */
export interface CartSweeps {
  readonly orm: MikroORM;
  readonly clock: Clock;
  /** Where their events go (CART_EVENTS_TOPIC). */
  readonly topic: string;
  readonly log: Logger;
}

/**
 * Releases at Inventory the holds of carts that lapsed, each with a CartReservationExpired. Only
 * tidying: a lapsed hold already counts as available there, and a cart whose hold lapsed
 * reserves again when it changes.
 */
export function startHoldSweeper(sweeps: CartSweeps, inventory: Inventory, intervalMs: number): () => Promise<void> {
  const { orm, clock, topic, log } = sweeps;
  return runEvery(intervalMs, async () => {
    try {
      const released = await releaseLapsedHolds(orm.em.fork(), inventory, clock.now(), topic);
      if (released) log.info({ carts: released }, "lapsed cart holds released");
    } catch (error) {
      log.warn({ err: error }, "releasing lapsed cart holds failed; it runs again at the next interval");
    }
  });
}

/** Marks carts idle for `afterMs` abandoned, once per idle period, with a CartAbandoned each; safe on every instance at once. */
export function startAbandonedCartSweeper(sweeps: CartSweeps, afterMs: number, intervalMs: number): () => Promise<void> {
  const { orm, clock, topic, log } = sweeps;
  return runEvery(intervalMs, async () => {
    try {
      const now = clock.now();
      const abandoned = await abandonIdleCarts(orm.em.fork(), now, new Date(now.getTime() - afterMs), topic);
      if (abandoned) log.info({ carts: abandoned }, "carts abandoned");
    } catch (error) {
      log.warn({ err: error }, "marking abandoned carts failed; it runs again at the next interval");
    }
  });
}

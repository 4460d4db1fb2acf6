import type { MikroORM } from "@mikro-orm/postgresql";
import type { Logger } from "pino";
import type { Inventory } from "../catalog/catalog-ports.js";
import type { Clock } from "../platform/clock.js";
import { runEvery } from "../platform/periodic.js";
import { deleteExpiredCarts, releaseLapsedHolds } from "./store/cart-repository.js";

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

/**
 * Releases at Inventory the holds of carts that lapsed. Only tidying: a lapsed hold already
 * counts as available there, and a cart whose hold lapsed reserves again when it changes.
 */
export function startHoldSweeper(orm: MikroORM, inventory: Inventory, clock: Clock, intervalMs: number, log: Logger): () => Promise<void> {
  return runEvery(intervalMs, async () => {
    try {
      const released = await releaseLapsedHolds(orm.em.fork(), inventory, clock.now());
      if (released) log.info({ carts: released }, "lapsed cart holds released");
    } catch (error) {
      log.warn({ err: error }, "releasing lapsed cart holds failed; it runs again at the next interval");
    }
  });
}

import type { MikroORM } from "@mikro-orm/postgresql";
import type { Logger } from "pino";
import type { Inventory } from "../catalog/catalog-ports.js";
import { runEvery } from "../platform/periodic.js";
import { sweepPending } from "./pending-reservations.js";
import { sweepStockChanges } from "./pending-stock-changes.js";

/**
 * Every interval: releases the reservations of orders whose process died before writing them, and
 * undoes the stock operations of order changes that died the same way. Returns a stop function.
 */
export function startReservationSweeper(orm: MikroORM, inventory: Inventory, intervalMs: number, log: Logger): () => Promise<void> {
  return runEvery(intervalMs, async () => {
    await sweepPending(orm.em.fork(), inventory, log).catch((error: unknown) =>
      log.warn({ err: error }, "reservation sweep failed; it runs again at the next interval"),
    );
    await sweepStockChanges(orm.em.fork(), inventory, log).catch((error: unknown) =>
      log.warn({ err: error }, "stock change sweep failed; it runs again at the next interval"),
    );
  });
}

import type { MikroORM } from "@mikro-orm/postgresql";
import type { Logger } from "pino";
import type { Inventory } from "../catalog/catalog-ports.js";
import { runEvery } from "../platform/periodic.js";
import { sweepPending } from "./pending-reservations.js";

/** Releases, every interval, the reservations of orders whose process died before writing them. Returns a stop function. */
export function startReservationSweeper(orm: MikroORM, inventory: Inventory, intervalMs: number, log: Logger): () => Promise<void> {
  return runEvery(intervalMs, () =>
    sweepPending(orm.em.fork(), inventory, log).catch((error: unknown) =>
      log.warn({ err: error }, "reservation sweep failed; it runs again at the next interval"),
    ),
  );
}

import type { MikroORM } from "@mikro-orm/postgresql";
import type { Logger } from "pino";
import { runEvery } from "../platform/periodic.js";
import { deleteExpiredCarts } from "./store/cart-repository.js";

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

import type { MikroORM } from "@mikro-orm/postgresql";
import type { Logger } from "pino";
import { runEvery } from "../platform/periodic.js";

/** Deletes carts nobody touched within their TTL (their lines go with them). Returns a stop function. */
export function startCartCleanup(orm: MikroORM, intervalMs: number, log: Logger): () => Promise<void> {
  return runEvery(intervalMs, async () => {
    try {
      const deleted = await orm.em.fork().execute<unknown[]>(`delete from carts where expires_at <= now() returning user_id`);
      if (deleted.length) log.info({ carts: deleted.length }, "expired carts deleted");
    } catch (error) {
      log.warn({ err: error }, "cart cleanup failed; it runs again at the next interval");
    }
  });
}

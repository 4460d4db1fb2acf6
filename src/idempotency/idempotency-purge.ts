import type { MikroORM } from "@mikro-orm/postgresql";
import type { Logger } from "pino";
import { runEvery } from "../platform/periodic.js";

/**
 * Deletes idempotency records older than the retention: a retry comes within minutes, and the
 * stored responses hold customers' personal data. Returns a stop function.
 */
export function startIdempotencyPurge(orm: MikroORM, retentionMs: number, intervalMs: number, log: Logger): () => Promise<void> {
  return runEvery(intervalMs, async () => {
    try {
      const [row] = await orm.em.fork().execute<{ purged: number }[]>(
        `with purged as (delete from idempotency_records where created_at < now() - make_interval(secs => ?) returning 1)
         select count(*)::int as purged from purged`,
        [retentionMs / 1000],
      );
      if (row?.purged) log.info({ records: row.purged }, "idempotency records past their retention deleted");
    } catch (error) {
      log.warn({ err: error }, "idempotency purge failed; it runs again at the next interval");
    }
  });
}

import pg from "pg";
import { sleep } from "./bench-support.js";

/**
 * Before a stage: the outbox holds no row the stage did not write. A row the broker refused, or
 * a backlog the relay has not drained, would make the stage pay for another's work (the ablation's
 * rows, parked on a topic the broker did not have, cost PostgreSQL most of a core in every later
 * stage, 2026-12-06). Waits for the relay to drain; refused or parked rows stop the bench.
 */
export async function outboxDrained(databaseUrl: string, maxSeconds = 120): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const started = Date.now();
  try {
    for (;;) {
      const { rows } = await client.query<{ waiting: number; refused: number; why: string | null }>(
        `select count(*)::int as waiting, count(*) filter (where attempts > 0)::int as refused,
           string_agg(distinct topic || ': ' || left(last_error, 200), '; ') filter (where attempts > 0) as why
         from outbox_events where published_at is null`,
      );
      const { waiting, refused, why } = rows[0]!;
      if (refused > 0) throw new Error(`the outbox holds ${refused} refused or parked rows (${why}); a stage would pay for them`);
      const waited = Math.round((Date.now() - started) / 1000);
      if (waiting === 0) return waited;
      if (waited >= maxSeconds) throw new Error(`the outbox still holds ${waiting} unpublished rows after ${waited} s`);
      await sleep(1_000);
    }
  } finally {
    await client.end();
  }
}

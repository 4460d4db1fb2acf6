import { Migration } from "@mikro-orm/migrations";

/**
 * An outbox row that the broker keeps refusing (a topic it does not have, a record over its size
 * limit) is retried with its own backoff and, after OUTBOX_MAX_ATTEMPTS, parked until staff retry
 * it; only its own aggregate's later rows wait behind it. The relay finds the aggregates held back
 * through the rows that failed at least once, a set as small as the failures.
 */
export class Migration20261204000000_outbox_parking extends Migration {
  override up(): void {
    this.addSql(`alter table "outbox_events" add column "parked_at" timestamptz null;`);
    this.addSql(
      `create index "outbox_events_failing" on "outbox_events" ("aggregate_id") where "published_at" is null and "attempts" > 0;`,
    );
  }
}

import { Migration } from "@mikro-orm/migrations";

/** The trace the change ran in, so the Kafka record carries it on to consumers. */
export class Migration20261122000500_outbox_traceparent extends Migration {
  override up(): void {
    this.addSql(`alter table "outbox_events" add column "trace_parent" varchar(64) null;`);
  }
}

import { Migration } from "@mikro-orm/migrations";

/**
 * What Debezium needs to publish the outbox (OUTBOX_PUBLISHER=debezium): a publication of the
 * outbox's inserts only, so that deleting published rows and the relay's bookkeeping emit
 * nothing, and a heartbeat table in it, which Debezium writes to so that its replication slot
 * advances while the outbox is idle. Harmless without Debezium: a publication nobody subscribes
 * to keeps no WAL.
 */
export class Migration20261206100000_outbox_publication extends Migration {
  override up(): void {
    // Debezium takes headers from columns; a literal header it would send as the number "1".
    this.addSql(`alter table "outbox_events" add column "spec_version" varchar(8) not null default '1.0';`);
    this.addSql(`create table "outbox_heartbeat" ("id" bigserial primary key, "beat_at" timestamptz not null);`);
    this.addSql(`create publication "order_service_outbox" for table "outbox_events", "outbox_heartbeat" with (publish = 'insert');`);
  }

  override down(): void {
    this.addSql(`drop publication "order_service_outbox";`);
    this.addSql(`drop table "outbox_heartbeat";`);
    this.addSql(`alter table "outbox_events" drop column "spec_version";`);
  }
}

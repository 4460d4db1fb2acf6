import { Migration } from "@mikro-orm/migrations";

/**
 * Order changes (returns and claims), the units of each item no longer the customer's
 * (order_items.returned_quantity), and RESTOCK among the reference Inventory's operations (returned
 * units back on sale). Nothing to backfill: no order had a return before.
 */
export class Migration20261205100000_order_changes extends Migration {
  override up(): void {
    this.addSql(`create table "order_changes" (
      "id" uuid primary key,
      "order_id" uuid not null,
      "type" text check ("type" in ('RETURN', 'CLAIM')) not null,
      "status" text check ("status" in ('PENDING', 'REQUESTED', 'CONFIRMED', 'DECLINED', 'CANCELED')) not null,
      "return_status" text check ("return_status" in ('', 'REQUESTED', 'AWAITING_RECEIPT', 'RECEIVED', 'DECLINED', 'CANCELED')) not null default '',
      "order_version" int not null,
      "actions" jsonb not null,
      "lines" jsonb not null,
      "note" varchar(500) not null default '',
      "created_by" varchar(255) not null,
      "by_customer" boolean not null,
      "decision_reason" varchar(500) not null default '',
      "decided_by" varchar(255) not null default '',
      "received" jsonb not null,
      "receiving_location_id" varchar(255) not null default '',
      "seller_ids" jsonb not null,
      "version" int not null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null
    );`);
    this.addSql(`create index "order_changes_order_id" on "order_changes" ("order_id");`);
    this.addSql(`create index "order_changes_queue" on "order_changes" ("created_at" desc, "id" desc);`);
    this.addSql(`create index "order_changes_seller_ids" on "order_changes" using gin ("seller_ids");`);
    this.addSql(`create unique index "order_changes_one_open" on "order_changes" ("order_id") where "status" in ('PENDING', 'REQUESTED');`);
    this.addSql(`alter table "order_items" add column "returned_quantity" int not null default 0;`);
    this.addSql(`alter table "catalog_reservation_operations" drop constraint "catalog_reservation_operations_kind_check";`);
    this.addSql(`alter table "catalog_reservation_operations" add constraint "catalog_reservation_operations_kind_check"
      check ("kind" in ('COMMIT', 'UNCOMMIT', 'MOVE', 'RELEASE', 'RESTOCK', 'NONE'));`);
  }
}

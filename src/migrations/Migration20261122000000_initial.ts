import { Migration } from "@mikro-orm/migrations";

export class Migration20261122000000_initial extends Migration {
  override up(): void {
    this.addSql(`create sequence "order_number_seq" start 1;`);

    this.addSql(`create table "orders" (
      "id" uuid primary key,
      "order_number" varchar(32) not null constraint "orders_order_number_unique" unique,
      "user_id" varchar(255) not null,
      "customer_email" varchar(320) not null,
      "customer_first_name" varchar(255) not null,
      "customer_last_name" varchar(255) not null,
      "customer_phone" varchar(16) not null default '',
      "shipping_address" jsonb not null,
      "status" text not null check ("status" in ('PENDING','CONFIRMED','PAID','PROCESSING','SHIPPED','DELIVERED','CANCELLED','REFUNDED')),
      "payment_method" text not null check ("payment_method" in ('CARD','UPI','NET_BANKING','CASH_ON_DELIVERY','WALLET')),
      "payment_display" varchar(255) not null default '',
      "payment_status" text not null check ("payment_status" in ('PENDING','AUTHORIZED','CAPTURED','FAILED','REFUNDED')),
      "payment_transaction_id" varchar(255) not null default '',
      "payment_failure_reason" varchar(255) not null default '',
      "payment_updated_at" timestamptz null,
      "currency" varchar(3) not null,
      "subtotal_minor" bigint not null,
      "tax_minor" bigint not null,
      "shipping_minor" bigint not null,
      "total_minor" bigint not null,
      "notes" text not null default '',
      "tracking_number" varchar(255) not null default '',
      "carrier" varchar(255) not null default '',
      "estimated_delivery_date" varchar(10) not null,
      "cancel_reason" varchar(255) not null default '',
      "reservation_id" varchar(255) not null,
      "version" int not null default 1,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      "deleted_at" timestamptz null
    );`);
    // Lists are newest first with a (created_at, id) keyset, optionally narrowed by user or email.
    this.addSql(`create index "orders_created_keyset" on "orders" ("created_at" desc, "id" desc) where "deleted_at" is null;`);
    this.addSql(`create index "orders_user_keyset" on "orders" ("user_id", "created_at" desc, "id" desc) where "deleted_at" is null;`);
    this.addSql(
      `create index "orders_email_keyset" on "orders" ("customer_email", "created_at" desc, "id" desc) where "deleted_at" is null;`,
    );

    this.addSql(`create table "order_items" (
      "id" uuid primary key,
      "order_id" uuid not null references "orders" ("id") on delete cascade,
      "position" int not null,
      "product_id" varchar(255) not null,
      "sku" varchar(255) not null,
      "name" varchar(255) not null,
      "image_url" varchar(1024) not null default '',
      "quantity" int not null check ("quantity" > 0),
      "unit_price_minor" bigint not null check ("unit_price_minor" >= 0),
      "status" text not null check ("status" in ('PENDING','PROCESSING','SHIPPED','DELIVERED','CANCELLED'))
    );`);
    this.addSql(`create index "order_items_order_id" on "order_items" ("order_id");`);

    this.addSql(`create table "order_status_history" (
      "id" bigserial primary key,
      "order_id" uuid not null references "orders" ("id") on delete cascade,
      "from_status" text null,
      "to_status" text not null,
      "changed_at" timestamptz not null,
      "actor" varchar(255) not null,
      "reason" varchar(1024) not null default ''
    );`);
    this.addSql(`create index "order_status_history_order_id" on "order_status_history" ("order_id");`);

    this.addSql(`create table "outbox_events" (
      "id" bigserial primary key,
      "event_id" uuid not null constraint "outbox_events_event_id_unique" unique,
      "topic" varchar(255) not null,
      "aggregate_id" varchar(255) not null,
      "event_type" varchar(255) not null,
      "payload" bytea not null,
      "occurred_at" timestamptz not null,
      "published_at" timestamptz null,
      "attempts" int not null default 0,
      "next_attempt_at" timestamptz not null,
      "last_error" text not null default ''
    );`);
    // The relay only ever scans unpublished rows; the index stays as small as the backlog.
    this.addSql(`create index "outbox_events_pending" on "outbox_events" ("id") where "published_at" is null;`);
    this.addSql(`create index "outbox_events_published" on "outbox_events" ("published_at") where "published_at" is not null;`);

    this.addSql(`create table "idempotency_records" (
      "key" varchar(512) primary key,
      "request_hash" varchar(64) not null,
      "response" bytea not null,
      "created_at" timestamptz not null
    );`);
    this.addSql(`create index "idempotency_records_created_at" on "idempotency_records" ("created_at");`);

    this.addSql(`create table "catalog_products" (
      "id" varchar(255) primary key,
      "sku" varchar(255) not null constraint "catalog_products_sku_unique" unique,
      "name" varchar(255) not null,
      "description" text not null default '',
      "currency" varchar(3) not null,
      "price_minor" bigint not null check ("price_minor" >= 0),
      "active" boolean not null,
      "image_url" varchar(1024) not null default '',
      "available" int not null check ("available" >= 0),
      "reserved" int not null default 0 check ("reserved" >= 0)
    );`);

    this.addSql(`create table "catalog_reservations" (
      "id" varchar(255) primary key,
      "lines" jsonb not null,
      "status" text not null check ("status" in ('HELD','COMMITTED','RELEASED')),
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null
    );`);
  }
}

import { Migration } from "@mikro-orm/migrations";

/**
 * The money ledger (order_ledger_entries) and its running sums on orders and order_items.
 * Orders paid before it get the rows their payment implies: an authorization and a capture of the
 * total (the authorization's id was not kept, so its reference is empty), and for REFUNDED
 * payments a whole-order refund under the key the service used (refund:<order id>), with each line
 * refunded at its price plus its share of the tax, split as money/refunds.ts splits it (largest
 * remainder by line total, ties to the earlier line). Declined attempts before it were not kept
 * by key and get no rows. Orders cancelled or refunded cost nothing from then on (credited).
 */
export class Migration20261205000000_money_ledger extends Migration {
  override up(): void {
    this.addSql(`create table "order_ledger_entries" (
      "id" uuid primary key,
      "order_id" uuid not null,
      "position" int not null,
      "kind" text check ("kind" in ('AUTHORIZATION', 'CAPTURE', 'REFUND', 'VOID')) not null,
      "state" text check ("state" in ('SUCCEEDED', 'FAILED')) not null,
      "currency" varchar(3) not null,
      "amount_minor" bigint not null,
      "reference" varchar(255) not null default '',
      "parent_reference" varchar(255) not null default '',
      "idempotency_key" varchar(512) not null,
      "refund_cause" text check ("refund_cause" in ('', 'ORDER', 'SHIPPING', 'GOODWILL', 'RETURN', 'CLAIM', 'BALANCE')) not null default '',
      "breakdown" jsonb null,
      "failure_code" varchar(255) not null default '',
      "actor" varchar(255) not null,
      "reason" varchar(1024) not null default '',
      "created_at" timestamptz not null,
      constraint "order_ledger_entries_amount_minor_check" check (amount_minor >= 0)
    );`);
    this.addSql(`alter table "order_ledger_entries" add constraint "order_ledger_entries_order_position" unique ("order_id", "position");`);
    this.addSql(`alter table "orders"
      add column "authorized_minor" bigint not null default '0',
      add column "captured_minor" bigint not null default '0',
      add column "refunded_minor" bigint not null default '0',
      add column "credited_minor" bigint not null default '0',
      add column "refunded_shipping_minor" bigint not null default '0',
      add column "refunded_tax_minor" bigint not null default '0',
      add column "ledger_entries" int not null default 0;`);
    this.addSql(`alter table "order_items"
      add column "refunded_quantity" int not null default 0,
      add column "refunded_minor" bigint not null default '0';`);
    this.backfill();
  }

  private backfill(): void {
    this.addSql(`update "orders" set "authorized_minor" = "total_minor", "captured_minor" = "total_minor",
      "ledger_entries" = case when "payment_status" = 'REFUNDED' then 3 else 2 end
      where "payment_status" in ('CAPTURED', 'REFUNDED');`);
    this.addSql(`update "orders" set "credited_minor" = "total_minor" where "status" in ('CANCELLED', 'REFUNDED');`);
    this.addSql(`update "orders" set "refunded_minor" = "total_minor", "refunded_shipping_minor" = "shipping_minor",
      "refunded_tax_minor" = "tax_minor" where "payment_status" = 'REFUNDED';`);
    this.addSql(`insert into "order_ledger_entries"
      ("id", "order_id", "position", "kind", "state", "currency", "amount_minor", "reference", "parent_reference", "idempotency_key", "actor", "reason", "created_at")
      select gen_random_uuid(), o."id", 1, 'AUTHORIZATION', 'SUCCEEDED', o."currency", o."total_minor", '', '', 'migrated:authorize:' || o."id", 'system', 'recorded from the order when the ledger was added', coalesce(o."payment_updated_at", o."created_at")
      from "orders" o where o."payment_status" in ('CAPTURED', 'REFUNDED')
      union all
      select gen_random_uuid(), o."id", 2, 'CAPTURE', 'SUCCEEDED', o."currency", o."total_minor", o."payment_transaction_id", '', 'migrated:capture:' || o."id", 'system', 'recorded from the order when the ledger was added', coalesce(o."payment_updated_at", o."created_at")
      from "orders" o where o."payment_status" in ('CAPTURED', 'REFUNDED');`);
    // Each refunded line's share of the tax, by largest remainder as the service splits it.
    this.addSql(`create temporary table "ledger_line_tax" on commit drop as
      with l as (
        select i."id", i."order_id", i."position", i."unit_price_minor" * i."quantity" as w, o."tax_minor" as t,
          sum(i."unit_price_minor" * i."quantity") over (partition by i."order_id")::bigint as ws,
          row_number() over (partition by i."order_id" order by i."position") as n
        from "order_items" i join "orders" o on o."id" = i."order_id" where o."payment_status" = 'REFUNDED'),
      f as (
        select *, case when ws = 0 then (case when n = 1 then t else 0 end) else (t * w) / ws end as base,
          case when ws = 0 then 0 else (t * w) % ws end as rest from l),
      r as (
        select *, t - (sum(base) over (partition by "order_id"))::bigint as leftover,
          row_number() over (partition by "order_id" order by rest desc, "position") as rk from f)
      select "id", "order_id", "position", w, base + case when rk <= leftover then 1 else 0 end as tax from r;`);
    this.addSql(`update "order_items" i set "refunded_quantity" = i."quantity", "refunded_minor" = x.w + x.tax
      from "ledger_line_tax" x where x."id" = i."id";`);
    this.addSql(`insert into "order_ledger_entries"
      ("id", "order_id", "position", "kind", "state", "currency", "amount_minor", "reference", "parent_reference", "idempotency_key", "refund_cause", "breakdown", "actor", "reason", "created_at")
      select gen_random_uuid(), o."id", 3, 'REFUND', 'SUCCEEDED', o."currency", o."total_minor", '', o."payment_transaction_id", 'refund:' || o."id", 'ORDER',
        jsonb_build_object(
          'lines', coalesce((select jsonb_agg(jsonb_build_object('itemId', x."id", 'quantity', i."quantity", 'amountMinor', (x.w + x.tax)::text, 'taxMinor', x.tax::text) order by x."position")
            from "ledger_line_tax" x join "order_items" i on i."id" = x."id" where x."order_id" = o."id"), '[]'::jsonb),
          'shippingMinor', o."shipping_minor"::text, 'taxMinor', o."tax_minor"::text, 'otherMinor', '0'),
        'system', o."cancel_reason", coalesce(o."payment_updated_at", o."created_at")
      from "orders" o where o."payment_status" = 'REFUNDED';`);
  }
}

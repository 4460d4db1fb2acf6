import { Migration } from "@mikro-orm/migrations";

/**
 * Several authorizations and captures per order (orders.payment_trail, voided_minor), each line's
 * share of the tax fixed on the line (order_items.tax_minor: lines added later by an exchange are
 * taxed on their own, and the older lines' shares must not move), and EDIT changes (item edits recorded).
 * The trail is rebuilt from the ledger's rows; the tax shares are split by largest remainder as the
 * service splits them (money/refunds.ts, lineTaxes).
 */
export class Migration20261205200000_payment_trail extends Migration {
  override up(): void {
    this.addSql(`alter table "orders"
      add column "voided_minor" bigint not null default '0',
      add column "payment_trail" jsonb not null default '{"authorizations":[],"captures":[]}';`);
    this.addSql(`update "orders" o set "payment_trail" = jsonb_build_object(
      'authorizations', coalesce((select jsonb_agg(jsonb_build_object('id', a."reference", 'amountMinor', a."amount_minor"::text,
          'capturedMinor', (select coalesce(sum(c."amount_minor"), 0) from "order_ledger_entries" c
            where c."order_id" = o."id" and c."kind" = 'CAPTURE' and c."parent_reference" = a."reference")::text,
          'voidedMinor', '0') order by a."position")
        from "order_ledger_entries" a where a."order_id" = o."id" and a."kind" = 'AUTHORIZATION' and a."state" = 'SUCCEEDED'), '[]'::jsonb),
      'captures', coalesce((select jsonb_agg(jsonb_build_object('id', c."reference", 'authorizationId', c."parent_reference",
          'amountMinor', c."amount_minor"::text,
          'refundedMinor', (select coalesce(sum(r."amount_minor"), 0) from "order_ledger_entries" r
            where r."order_id" = o."id" and r."kind" = 'REFUND' and r."parent_reference" = c."reference")::text) order by c."position")
        from "order_ledger_entries" c where c."order_id" = o."id" and c."kind" = 'CAPTURE'), '[]'::jsonb))
      where exists (select 1 from "order_ledger_entries" e where e."order_id" = o."id");`);
    this.addSql(`alter table "orders" alter column "payment_trail" drop default;`);
    this.addSql(`alter table "order_items" add column "tax_minor" bigint not null default '0';`);
    this.addSql(`with l as (
        select i."id", i."order_id", i."position", i."unit_price_minor" * i."quantity" as w, o."tax_minor" as t,
          sum(i."unit_price_minor" * i."quantity") over (partition by i."order_id")::bigint as ws,
          row_number() over (partition by i."order_id" order by i."position") as n
        from "order_items" i join "orders" o on o."id" = i."order_id"),
      f as (
        select *, case when ws = 0 then (case when n = 1 then t else 0 end) else (t * w) / ws end as base,
          case when ws = 0 then 0 else (t * w) % ws end as rest from l),
      r as (
        select *, t - (sum(base) over (partition by "order_id"))::bigint as leftover,
          row_number() over (partition by "order_id" order by rest desc, "position") as rk from f)
      update "order_items" i set "tax_minor" = r.base + case when r.rk <= r.leftover then 1 else 0 end from r where r."id" = i."id";`);
    this.addSql(`alter table "order_changes" drop constraint "order_changes_type_check";`);
    this.addSql(`alter table "order_changes" add constraint "order_changes_type_check" check ("type" in ('EDIT', 'RETURN', 'CLAIM'));`);
  }

  override down(): void {
    this.addSql(`alter table "order_changes" drop constraint "order_changes_type_check";`);
    this.addSql(`alter table "order_changes" add constraint "order_changes_type_check" check ("type" in ('RETURN', 'CLAIM'));`);
    this.addSql(`alter table "order_items" drop column "tax_minor";`);
    this.addSql(`alter table "orders" drop column "payment_trail", drop column "voided_minor";`);
  }
}

import { Migration } from "@mikro-orm/migrations";

/**
 * Fulfilment orders and shipments, and pending_stock_changes (the stock operations of an order
 * change not yet committed, undone by the sweeper when its process died). Every open order gets fulfilment orders matching what it holds
 * today: one per seller of its live items, at the seller's first location (where the stock
 * migration before this one put its held units); items already SHIPPED or DELIVERED are in one
 * shipment each of that status, carrying the order's tracking; a card order not yet captured,
 * with nothing shipped, waits on an AWAITING_PAYMENT hold as new ones do.
 */
export class Migration20261204200000_fulfilment extends Migration {
  override up(): void {
    this.addSql(`create table "fulfillment_orders" (
      "id" uuid primary key,
      "order_id" uuid not null,
      "seller_id" varchar(255) not null,
      "location_id" varchar(255) not null,
      "status" text check ("status" in ('OPEN', 'SCHEDULED', 'ON_HOLD', 'IN_PROGRESS', 'INCOMPLETE', 'CLOSED', 'CANCELLED')) not null,
      "fulfill_at" timestamptz null,
      "version" int not null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      "lines" jsonb not null,
      "holds" jsonb not null
    );`);
    this.addSql(`create index "fulfillment_orders_order_id" on "fulfillment_orders" ("order_id");`);
    this.addSql(`create index "fulfillment_orders_seller_queue" on "fulfillment_orders" ("seller_id", "status", "created_at");`);
    this.addSql(`create table "shipments" (
      "id" uuid primary key,
      "fulfillment_order_id" uuid not null,
      "order_id" uuid not null,
      "seller_id" varchar(255) not null,
      "status" text check ("status" in ('READY', 'IN_TRANSIT', 'DELIVERED', 'FAILED', 'CANCELLED')) not null,
      "carrier" varchar(64) not null default '',
      "tracking_number" varchar(64) not null default '',
      "tracking_url" varchar(2048) not null default '',
      "failure_reason" varchar(1024) not null default '',
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      "lines" jsonb not null
    );`);
    this.addSql(`create index "shipments_order_id" on "shipments" ("order_id");`);
    this.addSql(`create index "shipments_fulfillment_order_id" on "shipments" ("fulfillment_order_id");`);
    this.addSql(`create table "pending_stock_changes" (
      "change_id" varchar(64) not null primary key,
      "reservation_id" varchar(64) not null,
      "lease_until" timestamptz not null,
      "abandoned" boolean not null default false,
      "undo_attempts" int not null default 0);`);
    this.addSql(`create index "pending_stock_changes_lease_until_index" on "pending_stock_changes" ("lease_until");`);
    this.addSql(
      `alter table "order_items" add column "shipped_quantity" int not null default 0, add column "delivered_quantity" int not null default 0;`,
    );
    this.addSql(`update "order_items" set "shipped_quantity" = "quantity" where "status" in ('SHIPPED', 'DELIVERED');`);
    this.addSql(`update "order_items" set "delivered_quantity" = "quantity" where "status" = 'DELIVERED';`);
    this.backfill();
  }

  private backfill(): void {
    this.addSql(`create temporary table "fulfilment_backfill" on commit drop as
      select i.id as item_id, i.order_id, i.seller_id, i.product_id, i.variant_id, i.quantity, i.status as item_status, i.position,
             o.payment_method, o.payment_status, o.carrier, o.tracking_number, o.created_at, o.updated_at,
             coalesce((select l.id from catalog_locations l where l.seller_id = i.seller_id order by l.position limit 1), 'main') as location_id,
             gen_random_uuid() as line_id
      from order_items i join orders o on o.id = i.order_id
      where o.deleted_at is null and o.status in ('PENDING', 'CONFIRMED', 'PAID', 'PROCESSING', 'SHIPPED') and i.status <> 'CANCELLED';`);
    this.addSql(`create temporary table "fulfilment_backfill_groups" on commit drop as
      select order_id, seller_id, location_id, gen_random_uuid() as id,
             bool_or(item_status in ('SHIPPED', 'DELIVERED')) as shipped_some,
             bool_and(item_status in ('SHIPPED', 'DELIVERED')) as shipped_all,
             bool_or(payment_method = 'CARD' and payment_status <> 'CAPTURED') as awaiting_payment,
             min(created_at) as created_at, max(updated_at) as updated_at
      from fulfilment_backfill group by order_id, seller_id, location_id;`);
    this
      .addSql(`insert into "fulfillment_orders" ("id", "order_id", "seller_id", "location_id", "status", "fulfill_at", "version", "created_at", "updated_at", "lines", "holds")
      select g.id, g.order_id, g.seller_id, g.location_id,
             case when g.shipped_all then 'CLOSED' when g.shipped_some then 'IN_PROGRESS' when g.awaiting_payment then 'ON_HOLD' else 'OPEN' end,
             null, 1, g.created_at, g.updated_at,
             (select jsonb_agg(jsonb_build_object('id', b.line_id, 'orderItemId', b.item_id, 'productId', b.product_id, 'variantId', b.variant_id,
                     'quantity', b.quantity, 'remaining', case when b.item_status in ('SHIPPED', 'DELIVERED') then 0 else b.quantity end) order by b.position)
                from fulfilment_backfill b where b.order_id = g.order_id and b.seller_id = g.seller_id and b.location_id = g.location_id),
             case when g.awaiting_payment and not g.shipped_some
                  then jsonb_build_array(jsonb_build_object('id', gen_random_uuid(), 'handle', 'awaiting-payment', 'reason', 'AWAITING_PAYMENT',
                       'note', 'placed before fulfilment orders; released when the payment is captured', 'heldBy', 'migration',
                       'heldAt', to_jsonb(now()), 'releasedAt', null, 'releasedBy', ''))
                  else '[]'::jsonb end
      from fulfilment_backfill_groups g;`);
    this
      .addSql(`insert into "shipments" ("id", "fulfillment_order_id", "order_id", "seller_id", "status", "carrier", "tracking_number", "tracking_url", "failure_reason", "created_at", "updated_at", "lines")
      select gen_random_uuid(), g.id, g.order_id, g.seller_id,
             case when b.item_status = 'DELIVERED' then 'DELIVERED' else 'IN_TRANSIT' end,
             left(min(b.carrier), 64), left(min(b.tracking_number), 64), '', '', max(b.updated_at), max(b.updated_at),
             jsonb_agg(jsonb_build_object('fulfilmentLineId', b.line_id, 'orderItemId', b.item_id, 'productId', b.product_id,
                       'variantId', b.variant_id, 'quantity', b.quantity) order by b.position)
      from fulfilment_backfill b
      join fulfilment_backfill_groups g on g.order_id = b.order_id and g.seller_id = b.seller_id and g.location_id = b.location_id
      where b.item_status in ('SHIPPED', 'DELIVERED')
      group by g.id, g.order_id, g.seller_id, b.item_status;`);
  }
}

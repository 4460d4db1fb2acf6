import { Migration } from "@mikro-orm/migrations";

/**
 * The reference Inventory keeps stock per location: each seller has one or more (seller-north two,
 * seller-south one; products of no seller sit at "main"). A product's (or variant's) stock is its
 * rows in catalog_stock; the available and reserved columns of the product and variant tables stay
 * as their totals, kept in the same statements (and used as the line's lock). Existing stock is
 * split over the seller's locations, the first taking the larger half; held and committed units
 * are placed at the seller's first location, and each reservation gets its allocations.
 */
export class Migration20261204100000_stock_locations extends Migration {
  override up(): void {
    this.addSql(`create table "catalog_locations" (
      "id" varchar(255) primary key,
      "seller_id" varchar(255) not null,
      "name" varchar(255) not null,
      "position" int not null
    );`);
    this.addSql(`create index "catalog_locations_seller_id" on "catalog_locations" ("seller_id", "position");`);
    this.addSql(`create table "catalog_stock" (
      "location_id" varchar(255) not null,
      "product_id" varchar(255) not null,
      "variant_id" varchar(255) not null default '',
      "available" int not null,
      "reserved" int not null default 0,
      constraint "catalog_stock_pkey" primary key ("location_id", "product_id", "variant_id"),
      constraint "catalog_stock_available_check" check (available >= 0),
      constraint "catalog_stock_reserved_check" check (reserved >= 0)
    );`);
    this.addSql(`create index "catalog_stock_line" on "catalog_stock" ("product_id", "variant_id");`);
    this.addSql(`insert into "catalog_locations" ("id", "seller_id", "name", "position") values
      ('north-east', 'seller-north', 'North, east warehouse', 1),
      ('north-west', 'seller-north', 'North, west warehouse', 2),
      ('south-main', 'seller-south', 'South warehouse', 1),
      ('main', '', 'Main warehouse', 1);`);
    // Every line of stock: products without variants, and each variant; with its seller.
    const lines = `(
      select p.id as product_id, '' as variant_id, p.available, p.reserved, p.seller_id from catalog_products p
       where not exists (select 1 from catalog_variants v where v.product_id = p.id)
      union all
      select v.product_id, v.id, v.available, v.reserved, p.seller_id from catalog_variants v join catalog_products p on p.id = v.product_id
    )`;
    this.addSql(`insert into "catalog_stock" ("location_id", "product_id", "variant_id", "available", "reserved")
      select l.id, s.product_id, s.variant_id,
             case when l.position = 1 then s.available - (n.locations - 1) * (s.available / n.locations) else s.available / n.locations end,
             case when l.position = 1 then s.reserved else 0 end
      from ${lines} s
      join (select seller_id, count(*)::int as locations from catalog_locations group by seller_id) n
        on n.seller_id = case when exists (select 1 from catalog_locations c where c.seller_id = s.seller_id) then s.seller_id else '' end
      join catalog_locations l on l.seller_id = n.seller_id and l.position <= 2;`);
    this.addSql(`alter table "catalog_reservations" add column "allocations" jsonb not null default '[]';`);
    this.addSql(`create table "catalog_reservation_operations" (
      "reservation_id" varchar(255) not null,
      "operation_id" varchar(255) not null,
      "kind" text check ("kind" in ('COMMIT', 'UNCOMMIT', 'MOVE', 'RELEASE', 'NONE')) not null,
      "units" jsonb not null,
      "undone" boolean not null,
      "created_at" timestamptz not null,
      constraint "catalog_reservation_operations_pkey" primary key ("reservation_id", "operation_id")
    );`);
    // Held and committed lines were all taken from what is now the seller's first location.
    this.addSql(`update "catalog_reservations" r set "allocations" = coalesce((
      select jsonb_agg(jsonb_build_object(
        'productId', line->>'productId', 'variantId', coalesce(line->>'variantId', ''),
        'held', case when r.status = 'HELD' then (line->>'quantity')::int else 0 end,
        'locationId', coalesce((select l.id from catalog_products p join catalog_locations l on l.seller_id = p.seller_id
                                where p.id = line->>'productId' order by l.position limit 1), 'main'),
        'committed', case when r.status = 'COMMITTED' then (line->>'quantity')::int else 0 end))
      from jsonb_array_elements(r.lines) line), '[]')
      where r.status in ('HELD', 'COMMITTED');`);
  }
}

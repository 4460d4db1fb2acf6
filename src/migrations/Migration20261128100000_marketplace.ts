import { Migration } from "@mikro-orm/migrations";

/**
 * Marketplace: products belong to sellers and may have variants with their own price and stock;
 * order and cart lines keep the seller and the variant chosen. Existing lines have neither ('').
 */
export class Migration20261128100000_marketplace extends Migration {
  override up(): void {
    this.addSql(`alter table "catalog_products" add column "seller_id" varchar(255) not null default '';`);
    this.addSql(`create table "catalog_variants" (
      "id" varchar(255) primary key,
      "product_id" varchar(255) not null,
      "sku" varchar(255) not null,
      "attributes" jsonb not null,
      "price_minor" bigint not null,
      "active" boolean not null,
      "available" int not null,
      "reserved" int not null default 0,
      constraint "catalog_variants_sku_unique" unique ("sku"),
      constraint "catalog_variants_price_minor_check" check (price_minor >= 0),
      constraint "catalog_variants_available_check" check (available >= 0),
      constraint "catalog_variants_reserved_check" check (reserved >= 0)
    );`);
    this.addSql(`create index "catalog_variants_product_id" on "catalog_variants" ("product_id");`);

    this.addSql(`alter table "order_items" add column "seller_id" varchar(255) not null default '',
      add column "variant_id" varchar(255) not null default '',
      add column "variant_attributes" jsonb not null default '{}';`);
    // A seller's ListOrders finds its orders through its items.
    this.addSql(`create index "order_items_seller_id" on "order_items" ("seller_id", "order_id");`);

    this.addSql(`alter table "cart_items" add column "variant_id" varchar(255) not null default '',
      add column "seller_id" varchar(255) not null default '',
      add column "variant_attributes" jsonb not null default '{}';`);
    this.addSql(`alter table "cart_items" drop constraint "cart_items_one_line_per_product";`);
    this.addSql(
      `alter table "cart_items" add constraint "cart_items_one_line_per_variant" unique ("cart_user_id", "product_id", "variant_id");`,
    );

    // The reference catalog's two sellers, and a product sold by variant.
    this.addSql(
      `update "catalog_products" set "seller_id" = case when "id" in ('prod-mug','prod-tee','prod-cap','prod-bottle','prod-notebook')
       then 'seller-north' else 'seller-south' end;`,
    );
    this.addSql(
      `insert into "catalog_products" ("id","sku","name","currency","price_minor","active","image_url","available","seller_id")
       values ('prod-hoodie','HOOD-001','Fleece hoodie','USD',5400,true,'https://img.example.com/prod-hoodie.jpg',0,'seller-north')
       on conflict ("id") do nothing;`,
    );
    const variants: [id: string, sku: string, size: string, colour: string, priceMinor: number, active: boolean, available: number][] = [
      ["hoodie-s-grey", "HOOD-001-S-GRY", "S", "grey", 5400, true, 40],
      ["hoodie-m-grey", "HOOD-001-M-GRY", "M", "grey", 5400, true, 40],
      ["hoodie-l-navy", "HOOD-001-L-NVY", "L", "navy", 5900, true, 5],
      ["hoodie-xl-navy", "HOOD-001-XL-NVY", "XL", "navy", 5900, false, 0],
    ];
    for (const [id, sku, size, colour, priceMinor, active, available] of variants) {
      this.addSql(
        `insert into "catalog_variants" ("id","product_id","sku","attributes","price_minor","active","available")
         values ('${id}','prod-hoodie','${sku}','{"size":"${size}","colour":"${colour}"}',${priceMinor},${active},${available})
         on conflict ("id") do nothing;`,
      );
    }
  }
}

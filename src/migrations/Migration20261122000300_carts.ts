import { Migration } from "@mikro-orm/migrations";

export class Migration20261122000300_carts extends Migration {
  override up(): void {
    this.addSql(`create table "carts" (
      "user_id" varchar(255) primary key,
      "currency" varchar(3) not null,
      "version" int not null default 1,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      "expires_at" timestamptz not null
    );`);
    // The cleanup job deletes by expiry.
    this.addSql(`create index "carts_expires_at" on "carts" ("expires_at");`);
    this.addSql(`create table "cart_items" (
      "id" bigserial primary key,
      "cart_user_id" varchar(255) not null references "carts" ("user_id") on delete cascade,
      "product_id" varchar(255) not null,
      "sku" varchar(255) not null,
      "name" varchar(255) not null,
      "image_url" varchar(1024) not null default '',
      "quantity" int not null check ("quantity" > 0),
      "unit_price_minor" bigint not null check ("unit_price_minor" >= 0),
      constraint "cart_items_one_line_per_product" unique ("cart_user_id", "product_id")
    );`);
  }
}

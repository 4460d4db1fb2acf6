import { Migration } from "@mikro-orm/migrations";

/**
 * Cart holds: a cart's stock reserved at Inventory for a while. The cart remembers its current
 * hold and when it lapses; the reference Inventory remembers when each hold lapses, so a lapsed
 * one counts as available before anything releases it. A checkout marks its cart while it turns
 * the hold into the order's reservation.
 */
export class Migration20261205400000_cart_holds extends Migration {
  override up(): void {
    this.addSql(
      `alter table "carts" add column "reservation_id" varchar(255) not null default '', add column "holds_until" timestamptz null,
       add column "checkout_until" timestamptz null;`,
    );
    this.addSql(`create index "carts_holds_until" on "carts" ("holds_until") where "holds_until" is not null;`);
    this.addSql(`alter table "catalog_reservations" add column "expires_at" timestamptz null;`);
    this.addSql(
      `create index "catalog_reservations_lapsing" on "catalog_reservations" ("expires_at") where "status" = 'HELD' and "expires_at" is not null;`,
    );
  }

  override down(): void {
    this.addSql(`drop index "catalog_reservations_lapsing";`);
    this.addSql(`alter table "catalog_reservations" drop column "expires_at";`);
    this.addSql(`drop index "carts_holds_until";`);
    this.addSql(`alter table "carts" drop column "reservation_id", drop column "holds_until", drop column "checkout_until";`);
  }
}

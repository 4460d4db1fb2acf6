import { Migration } from "@mikro-orm/migrations";

/** Abandoned carts: when a cart was last marked abandoned, so each idle period gives one CartAbandoned. */
export class Migration20261205600000_cart_events extends Migration {
  override up(): void {
    this.addSql(`alter table "carts" add column "abandoned_at" timestamptz null;`);
    this.addSql(`create index "carts_idle" on "carts" ("updated_at") where "status" = 'OPEN';`);
  }

  override down(): void {
    this.addSql(`drop index "carts_idle";`);
    this.addSql(`alter table "carts" drop column "abandoned_at";`);
  }
}

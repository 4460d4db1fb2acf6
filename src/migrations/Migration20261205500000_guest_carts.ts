import { Migration } from "@mikro-orm/migrations";

/**
 * Guest carts (kept under "guest:<id>" like any cart), closed as MERGED into a signed-in user's
 * cart; and order links, the capabilities that read one guest order.
 */
export class Migration20261205500000_guest_carts extends Migration {
  override up(): void {
    this.addSql(
      `alter table "carts" add column "status" text check ("status" in ('OPEN', 'MERGED')) not null default 'OPEN',
       add column "merged_into" varchar(255) not null default '', add column "guest_email" varchar(255) not null default '';`,
    );
    this.addSql(`create table "order_links" (
      "id" uuid not null, "order_id" uuid not null, "created_at" timestamptz not null, "expires_at" timestamptz not null,
      "revoked_at" timestamptz null, "revoked_by" varchar(255) not null default '', "revoke_reason" varchar(500) not null default '',
      constraint "order_links_pkey" primary key ("id"));`);
    this.addSql(`create index "order_links_order_id" on "order_links" ("order_id");`);
  }

  override down(): void {
    this.addSql(`drop table "order_links";`);
    this.addSql(`alter table "carts" drop column "status", drop column "merged_into", drop column "guest_email";`);
  }
}

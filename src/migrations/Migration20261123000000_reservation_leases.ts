import { Migration } from "@mikro-orm/migrations";

/**
 * Crash safety. `pending_reservations`: a stock reservation taken for an order that is not
 * written yet; the order's transaction deletes it, so a row whose lease has passed belongs to an
 * attempt that died and its reservation is released by the sweeper. Idempotency claims get a
 * token and a lease: a claim whose lease passed may be taken over, and only the holder of the
 * current token can record the response.
 */
export class Migration20261123000000_reservation_leases extends Migration {
  override up(): void {
    this.addSql(`create table "pending_reservations" (
      "reservation_id" varchar(64) not null primary key,
      "lease_until" timestamptz not null,
      "abandoned" boolean not null default false,
      "release_attempts" int not null default 0);`);
    this.addSql(`create index "pending_reservations_lease_until_index" on "pending_reservations" ("lease_until");`);
    this.addSql(`alter table "idempotency_records" add column "claim_token" varchar(64) null, add column "lease_until" timestamptz null;`);
  }
}

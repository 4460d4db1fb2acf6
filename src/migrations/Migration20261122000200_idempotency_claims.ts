import { Migration } from "@mikro-orm/migrations";

/**
 * A request id is claimed before the work starts (response still null) and completed in the
 * work's own transaction, so concurrent duplicates wait for the first instead of repeating it.
 */
export class Migration20261122000200_idempotency_claims extends Migration {
  override up(): void {
    this.addSql(`alter table "idempotency_records" alter column "response" drop not null;`);
    this.addSql(`alter table "idempotency_records" add column "completed_at" timestamptz null;`);
  }
}

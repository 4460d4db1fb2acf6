import { Migration } from "@mikro-orm/migrations";

/** EXCHANGE changes: shipped units coming back for new items sent out. Their actions are JSON like the others'. */
export class Migration20261205300000_exchanges extends Migration {
  override up(): void {
    this.addSql(`alter table "order_changes" drop constraint "order_changes_type_check";`);
    this.addSql(
      `alter table "order_changes" add constraint "order_changes_type_check" check ("type" in ('EDIT', 'RETURN', 'EXCHANGE', 'CLAIM'));`,
    );
  }

  override down(): void {
    this.addSql(`alter table "order_changes" drop constraint "order_changes_type_check";`);
    this.addSql(`alter table "order_changes" add constraint "order_changes_type_check" check ("type" in ('EDIT', 'RETURN', 'CLAIM'));`);
  }
}

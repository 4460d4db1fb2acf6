import { Migration } from "@mikro-orm/migrations";

/**
 * Brings the schema to what the entities declare, so test/ops/schema-drift.test.ts can hold the two
 * together: foreign keys get MikroORM's names (PostgreSQL named them `_fkey`), and the status
 * history accepts only known statuses, as orders and items already did.
 */
export class Migration20261128000000_entity_names extends Migration {
  override up(): void {
    this.addSql(`alter table "order_items" rename constraint "order_items_order_id_fkey" to "order_items_order_id_foreign";`);
    this.addSql(
      `alter table "order_status_history" rename constraint "order_status_history_order_id_fkey" to "order_status_history_order_id_foreign";`,
    );
    this.addSql(`alter table "cart_items" rename constraint "cart_items_cart_user_id_fkey" to "cart_items_cart_user_id_foreign";`);
    const statuses = `('PENDING', 'CONFIRMED', 'PAID', 'PROCESSING', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'REFUNDED')`;
    this.addSql(
      `alter table "order_status_history" add constraint "order_status_history_from_status_check" check ("from_status" in ${statuses});`,
    );
    this.addSql(
      `alter table "order_status_history" add constraint "order_status_history_to_status_check" check ("to_status" in ${statuses});`,
    );
  }
}

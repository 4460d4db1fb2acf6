import type { EntityManager } from "@mikro-orm/postgresql";
import { NotFoundError } from "../platform/domain-errors.js";
import { UUID, Violations } from "../platform/validation.js";
import type { OrderRecord } from "./order-record.js";
import { queryOrders, selectOrders } from "./order-rows.js";

export function parseOrderId(value: string, field = "order_id"): string {
  const v = new Violations();
  const id = orderIdField(v, value, field);
  v.throwIfAny();
  return id;
}

/** For parsers that collect every violation before throwing. */
export function orderIdField(v: Violations, value: string, field = "order_id"): string {
  return v.text(field, value, UUID).toLowerCase();
}

/**
 * Soft-deleted orders are gone for every reader; only the audit trail keeps them. A customer's
 * `ownerId` makes other users' orders look missing. The status history is read only for
 * callers that show it ("where is my order").
 */
export async function getOrder(em: EntityManager, orderId: string, options: { withHistory?: boolean; ownerId?: string } = {}): Promise<OrderRecord> {
  const owner = options.ownerId ? " and o.user_id = ?" : "";
  const params = options.ownerId ? [orderId, options.ownerId] : [orderId];
  const [order] = await queryOrders(em, `${selectOrders(options)} where o.id = ? and o.deleted_at is null${owner}`, params);
  if (!order) throw new NotFoundError("order", orderId);
  return order;
}

/**
 * NOT_FOUND unless the caller may see the order now: it exists, is not deleted (unless asked),
 * and for a customer (`ownerId`) is theirs. Checked before a stored response is replayed, so a
 * replay never shows more than a fresh read would.
 */
export async function assertOrderVisible(em: EntityManager, orderId: string, options: { ownerId?: string; includeDeleted?: boolean }): Promise<void> {
  const deleted = options.includeDeleted ? "" : " and deleted_at is null";
  const owner = options.ownerId ? " and user_id = ?" : "";
  const rows = await em.execute<unknown[]>(`select 1 from orders where id = ?${deleted}${owner}`, options.ownerId ? [orderId, options.ownerId] : [orderId]);
  if (!rows.length) throw new NotFoundError("order", orderId);
}

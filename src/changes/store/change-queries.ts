import type { EntityManager } from "@mikro-orm/postgresql";
import { query } from "../../db/sql.js";
import { NotFoundError } from "../../platform/errors/domain-errors.js";
import type { ChangeStatus } from "../domain/change-status.js";
import type { OrderChangeView } from "../domain/order-change.js";
import { changeCodec } from "./change-repository.js";

/* The read side of order_changes: an order's changes, who owns a change, and the queue. */

export async function queryChanges(em: EntityManager, where: string, params: unknown[], orderBy: string, limit?: number) {
  const codec = changeCodec(em);
  const rows = await query<Record<string, unknown>>(
    em,
    `select c.* from ${codec.table} c where ${where} order by ${orderBy}${limit ? ` limit ${limit}` : ""}`,
    params,
  );
  return rows.map((row) => codec.fromRow(row));
}

/** An order's changes, oldest first (at most MAX_CHANGES). */
export function findChanges(em: EntityManager, orderId: string): Promise<OrderChangeView[]> {
  return queryChanges(em, "c.order_id = ?", [orderId], "c.created_at, c.id");
}

/** Which order a change belongs to; NOT_FOUND for one that does not exist. */
export async function orderOfChange(em: EntityManager, changeId: string): Promise<string> {
  const [row] = await query<{ order_id: string }>(em, `select order_id from order_changes where id = ?`, [changeId]);
  if (!row) throw new NotFoundError("order change", changeId);
  return row.order_id;
}

/** The queue: changes newest first by (created_at, id), a keyset; a seller's only those touching its items. */
export function changeQueue(
  em: EntityManager,
  filter: { statuses: readonly ChangeStatus[]; sellerId?: string; orderId?: string },
  limit: number,
  after?: { createdAt: Date; id: string },
): Promise<OrderChangeView[]> {
  const where: string[] = ["true"];
  const params: unknown[] = [];
  const and = (sql: string, value: unknown) => {
    where.push(sql);
    params.push(value);
  };
  if (filter.statuses.length) and("c.status = any(?::text[])", filter.statuses);
  if (filter.sellerId !== undefined) and("c.seller_ids @> ?::jsonb", JSON.stringify([filter.sellerId]));
  if (filter.orderId) and("c.order_id = ?", filter.orderId);
  if (after) {
    where.push("(c.created_at, c.id) < (?, ?::uuid)");
    params.push(after.createdAt, after.id);
  }
  return queryChanges(em, where.join(" and "), params, "c.created_at desc, c.id desc", limit);
}

import type { EntityManager } from "@mikro-orm/postgresql";
import { query } from "../../db/sql.js";
import { NotFoundError } from "../../platform/errors/domain-errors.js";
import type { OrderView, StatusChangeView } from "../domain/order.js";
import type { OrderFields } from "../domain/order-data.js";
import type { OrderStatus } from "../domain/order-status.js";
import { orderCodecs } from "./order-codecs.js";

/*
 * The read side of the order tables: whole orders in one statement (the order with its items as a
 * JSON array, and its history where asked), pages, counts. Plain SQL, its columns from the
 * entities' metadata (db/row-codec.ts). Writes are order-repository.ts's.
 */

/**
 * The whole-order selects, built once per metadata: `select ... from orders o` for a where clause
 * on `o`. Exported for the benchmark's read floor (bench/floors/read-floor.ts), which sends the
 * same statement.
 */
const selects = new WeakMap<object, { readonly plain: string; readonly withHistory: string }>();

export function selectOrders(em: EntityManager, withHistory: boolean): string {
  const metadata = em.getMetadata();
  let built = selects.get(metadata);
  if (!built) {
    const { orders, items, history } = orderCodecs(em);
    const lines = `${items.jsonArray("i", "i.order_id = o.id", "i.position")} as items`;
    const changes = `${history.jsonArray("h", "h.order_id = o.id", "h.id")} as history`;
    built = {
      plain: `select o.*, ${lines} from ${orders.table} o`,
      withHistory: `select o.*, ${lines}, ${changes} from ${orders.table} o`,
    };
    selects.set(metadata, built);
  }
  return withHistory ? built.withHistory : built.plain;
}

type Row = Record<string, unknown>;

/** Whole orders as `selectOrders` reads them. */
export async function queryOrders(em: EntityManager, sql: string, params: unknown[]): Promise<OrderView[]> {
  const { orders, items, history } = orderCodecs(em);
  const rows = await query<Row>(em, sql, params);
  return rows.map((row) => {
    // Filled in place: a page reads 20 orders, and a copy of each would be garbage at once.
    const order = orders.fromRow(row) as OrderFields & { items?: OrderView["items"]; history?: OrderView["history"] };
    order.items = items.fromJsonArray(row.items);
    if (row.history !== undefined) order.history = history.fromJsonArray(row.history);
    return order as OrderView;
  });
}

/** Who reads: a customer's `ownerId` or a seller's `sellerId` narrows what exists for them; staff set neither. */
export interface Reader {
  readonly ownerId?: string;
  readonly sellerId?: string;
  /** An order link's id: only its order, while the link is neither revoked nor expired. */
  readonly linkId?: string;
}

/** An order holding at least one of the seller's items. */
const SELLER_HAS_ITEMS = "exists (select 1 from order_items si where si.order_id = o.id and si.seller_id = ?)";

const LIVE_LINK =
  "exists (select 1 from order_links l where l.id = ?::uuid and l.order_id = o.id and l.revoked_at is null and l.expires_at > now())";

export function readerClause(reader: Reader): { sql: string; params: string[] } {
  if (reader.linkId) return { sql: ` and ${LIVE_LINK}`, params: [reader.linkId] };
  if (reader.ownerId) return { sql: " and o.user_id = ?", params: [reader.ownerId] };
  if (reader.sellerId !== undefined) return { sql: ` and ${SELLER_HAS_ITEMS}`, params: [reader.sellerId] };
  return { sql: "", params: [] };
}

/**
 * Soft-deleted orders are gone for every reader. A customer's `ownerId` makes other users'
 * orders look missing, as a seller's `sellerId` does orders without its items. The history is
 * read only for callers that show it.
 */
export async function findOrder(em: EntityManager, orderId: string, options: { withHistory?: boolean } & Reader = {}): Promise<OrderView> {
  const reader = readerClause(options);
  const [order] = await queryOrders(em, `${selectOrders(em, !!options.withHistory)} where o.id = ? and o.deleted_at is null${reader.sql}`, [
    orderId,
    ...reader.params,
  ]);
  if (!order) throw new NotFoundError("order", orderId);
  return order;
}

/** NOT_FOUND unless the caller may see the order now (checked before a stored response is replayed); its buyer's user id. */
export async function assertOrderVisible(
  em: EntityManager,
  orderId: string,
  options: Reader & { includeDeleted?: boolean },
): Promise<{ readonly userId: string }> {
  const deleted = options.includeDeleted ? "" : " and o.deleted_at is null";
  const reader = readerClause(options);
  const [row] = await query<{ user_id: string }>(em, `select o.user_id from orders o where o.id = ?${deleted}${reader.sql}`, [
    orderId,
    ...reader.params,
  ]);
  if (!row) throw new NotFoundError("order", orderId);
  return { userId: row.user_id };
}

export interface OrderFilters {
  readonly statuses: readonly OrderStatus[];
  readonly userId: string;
  readonly customerEmail: string;
  /** Orders holding at least one item of this seller. */
  readonly sellerId: string;
  readonly orderNumber: string;
  readonly createdAfter?: Date;
  readonly createdBefore?: Date;
}

/** The filters on `orders o`; `deleted_at is null` matches the keyset indexes. */
function where(filters: OrderFilters, options: { statuses: boolean } = { statuses: true }): { sql: string; params: unknown[] } {
  const clauses = ["o.deleted_at is null"];
  const params: unknown[] = [];
  const add = (clause: string, ...values: unknown[]) => (clauses.push(clause), params.push(...values));
  if (filters.sellerId) add(SELLER_HAS_ITEMS, filters.sellerId);
  if (filters.orderNumber) add("o.order_number = ?", filters.orderNumber);
  if (options.statuses && filters.statuses.length) add(`o.status in (${filters.statuses.map(() => "?").join(", ")})`, ...filters.statuses);
  if (filters.userId) add("o.user_id = ?", filters.userId);
  if (filters.customerEmail) add("o.customer_email = ?", filters.customerEmail);
  if (filters.createdAfter) add("o.created_at >= ?", filters.createdAfter);
  if (filters.createdBefore) add("o.created_at < ?", filters.createdBefore);
  return { sql: clauses.join(" and "), params };
}

/** Newest first by (created_at, id), a keyset: pages stay stable while orders arrive. */
export async function findOrderPage(
  em: EntityManager,
  filters: OrderFilters,
  limit: number,
  after?: { createdAt: Date; id: string },
): Promise<OrderView[]> {
  const base = where(filters);
  const keyset = after ? " and (o.created_at, o.id) < (?, ?)" : "";
  return queryOrders(em, `${selectOrders(em, false)} where ${base.sql}${keyset} order by o.created_at desc, o.id desc limit ?`, [
    ...base.params,
    ...(after ? [after.createdAt, after.id] : []),
    limit,
  ]);
}

export async function countOrders(em: EntityManager, filters: OrderFilters): Promise<bigint> {
  const base = where(filters);
  const [row] = await query<{ n: string }>(em, `select count(*) as n from orders o where ${base.sql}`, base.params);
  return BigInt(row!.n);
}

/** How many orders of each status the filters match, statuses aside: a dashboard's tabs. */
export async function countOrdersByStatus(em: EntityManager, filters: OrderFilters): Promise<Map<OrderStatus, bigint>> {
  const base = where(filters, { statuses: false });
  const rows = await query<{ status: OrderStatus; n: string }>(
    em,
    `select o.status, count(*) as n from orders o where ${base.sql} group by o.status`,
    base.params,
  );
  return new Map(rows.map((row) => [row.status, BigInt(row.n)]));
}

/** One page of an order's status changes, oldest first, after the change `afterId`; each with its id for the next page. */
export async function findHistoryPage(
  em: EntityManager,
  orderId: string,
  limit: number,
  afterId?: bigint,
): Promise<{ id: bigint; change: StatusChangeView }[]> {
  const { history } = orderCodecs(em);
  const after = afterId === undefined ? "" : " and h.id > ?";
  const rows = await query<Record<string, unknown>>(
    em,
    `select h.* from ${history.table} h where h.order_id = ?${after} order by h.id limit ?`,
    [orderId, ...(afterId === undefined ? [] : [String(afterId)]), limit],
  );
  return rows.map((row) => ({ id: BigInt(row.id as string), change: history.fromRow(row) }));
}

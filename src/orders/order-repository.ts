import { LockMode, type EntityManager } from "@mikro-orm/postgresql";
import { rowCodec } from "../db/row-codec.js";
import { enqueueEvent, outboxInsert } from "../outbox/outbox-writer.js";
import { NotFoundError, VersionConflictError } from "../platform/domain-errors.js";
import { outboxRecords } from "./order-events.js";
import {
  OrderItemRow,
  OrderRow,
  StatusChangeRow,
  type OrderFields,
  type OrderItemFields,
  type StatusChangeFields,
} from "./order.entity.js";
import { Order, type OrderView } from "./order.js";
import type { OrderStatus } from "./order-status.js";
import { query } from "../db/sql.js";

/*
 * The one owner of the order tables (orders, order_items, order_status_history). Whole-order
 * reads and placing an order are plain SQL, measured in issue 8: an order with its items is one
 * statement instead of two plus hydration, and a new order one insert of all its rows. Their
 * columns come from the entities' metadata (db/row-codec.ts), never from a list kept here.
 * Changes to an existing order go through the entities: MikroORM locks the row, writes what
 * changed and bumps the version.
 */

function codecs(em: EntityManager) {
  return {
    orders: rowCodec<OrderFields>(em, OrderRow),
    items: rowCodec<OrderItemFields>(em, OrderItemRow),
    history: rowCodec<StatusChangeFields>(em, StatusChangeRow),
  };
}

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
    const { orders, items, history } = codecs(em);
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

async function queryOrders(em: EntityManager, sql: string, params: unknown[]): Promise<OrderView[]> {
  const { orders, items, history } = codecs(em);
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
}

/** An order holding at least one of the seller's items. */
const SELLER_HAS_ITEMS = "exists (select 1 from order_items si where si.order_id = o.id and si.seller_id = ?)";

function readerClause(reader: Reader): { sql: string; params: string[] } {
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

/** NOT_FOUND unless the caller may see the order now; checked before a stored response is replayed. */
export async function assertOrderVisible(
  em: EntityManager,
  orderId: string,
  options: Reader & { includeDeleted?: boolean },
): Promise<void> {
  const deleted = options.includeDeleted ? "" : " and o.deleted_at is null";
  const reader = readerClause(options);
  const rows = await query<unknown>(em, `select 1 from orders o where o.id = ?${deleted}${reader.sql}`, [orderId, ...reader.params]);
  if (!rows.length) throw new NotFoundError("order", orderId);
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

/** A new order's rows in one statement: the order, its items, its first history entry and its events. */
export async function insertOrder(tx: EntityManager, order: Order, topic: string): Promise<void> {
  const { orders, items, history } = codecs(tx);
  const { events, statusChanges } = order.takeEvents();
  const view = order.view;
  const outbox = outboxInsert(tx, outboxRecords(view, events, topic, view.createdAt));
  const rows = (codec: { placeholders: string }, count: number) => Array.from({ length: count }, () => codec.placeholders).join(", ");
  await query(
    tx,
    `with o as (insert into ${orders.table} (${orders.columns.join(", ")}) values ${orders.placeholders}),
     i as (insert into ${items.table} (${items.columns.join(", ")}) values ${rows(items, view.items.length)}),
     h as (insert into ${history.table} (${history.columns.join(", ")}) values ${rows(history, statusChanges.length)})
     ${outbox.sql}`,
    [
      ...orders.values(view),
      ...view.items.flatMap((item) => items.values({ ...item, order: view.id })),
      ...statusChanges.flatMap((change) => history.values({ ...change, order: view.id })),
      ...outbox.params,
    ],
  );
}

/** The rows behind each order locked in a transaction, for `saveOrder`. */
const lockedRows = new WeakMap<Order, OrderRow>();

export interface LockTarget extends Reader {
  readonly orderId: string;
  readonly expectedVersion?: bigint;
}

/** Locks the order row for the transaction, so changes of one order happen one at a time. */
export async function lockOrder(tx: EntityManager, target: LockTarget): Promise<Order> {
  const row = await tx.findOne(
    OrderRow,
    { id: target.orderId, deletedAt: null, ...(target.ownerId ? { userId: target.ownerId } : {}) },
    { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ["items"], strategy: "select-in" },
  );
  // Set for customers and sellers: an order they may not see is NOT_FOUND, exactly like a missing one.
  if (!row || (target.sellerId !== undefined && !row.items.getItems().some((item) => item.sellerId === target.sellerId))) {
    throw new NotFoundError("order", target.orderId);
  }
  const version = BigInt(row.version);
  if (target.expectedVersion !== undefined && target.expectedVersion !== version) {
    throw new VersionConflictError("order", row.id, target.expectedVersion, version);
  }
  const { orders, items } = codecs(tx);
  const order = Order.restore({ ...orders.fromEntity(row), items: row.items.getItems().map((item) => items.fromEntity(item)) });
  lockedRows.set(order, row);
  return order;
}

/** Writes what changed on a locked order, its new history and its events; the version goes up by one. */
export async function saveOrder(tx: EntityManager, order: Order, topic: string, now: Date): Promise<void> {
  const row = lockedRows.get(order);
  if (!row) throw new Error("saveOrder: the order was not locked by this transaction");
  const { events, statusChanges, removedItemIds } = order.takeEvents();
  if (!events.length) return;
  const { items, history: _history, id: _id, version: _version, ...fields } = order.view;
  Object.assign(row, fields, { updatedAt: now });
  const existing = new Map(row.items.getItems().map((item) => [item.id, item]));
  for (const item of items) {
    const stored = existing.get(item.id);
    if (stored) Object.assign(stored, item);
    else row.items.add(tx.create(OrderItemRow, { ...item, order: row }));
  }
  for (const itemId of removedItemIds) {
    const stored = existing.get(itemId);
    if (stored) {
      row.items.remove(stored);
      tx.remove(stored);
    }
  }
  for (const change of statusChanges) tx.create(StatusChangeRow, { ...change, order: row });
  await tx.flush();
  order.stored(row.version, row.updatedAt);
  for (const record of outboxRecords(order.view, events, topic, now)) enqueueEvent(tx, record);
}

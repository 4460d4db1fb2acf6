import type { EntityManager } from "@mikro-orm/postgresql";
import { countsOf, query, type SqlStep } from "../../db/sql.js";
import { outboxInsert } from "../../outbox/outbox-writer.js";
import { NotFoundError, VersionConflictError } from "../../platform/errors/domain-errors.js";
import type { FulfilmentOrder } from "../../fulfilment/domain/fulfilment-order.js";
import { fulfilmentPayloads } from "../../fulfilment/store/fulfilment-outbox.js";
import { ledgerSteps } from "../../ledger/store/ledger-repository.js";
import { changePayloads } from "../../changes/store/change-outbox.js";
import { changeSteps, type LoadedChanges } from "../../changes/store/change-repository.js";
import { fulfilmentSteps, newFulfilmentSteps, type LoadedFulfilment } from "../../fulfilment/store/fulfilment-repository.js";
import { Order, type OrderView } from "../domain/order.js";
import { orderCodecs } from "./order-codecs.js";
import { outboxRecords, recordsOf, type EventPayload } from "./order-outbox.js";
import { queryOrders, readerClause, selectOrders, type Reader } from "./order-queries.js";

/*
 * The write side of the order tables (orders, order_items, order_status_history), and with them
 * the order's outbox rows: plain SQL whose columns come from the entities' metadata
 * (db/row-codec.ts), one statement to place an order and one to store a change, as the cart store
 * does. Reads are order-queries.ts's.
 */

/**
 * A new order's rows in one statement: the order, its items, its first history entry, its
 * fulfilment orders and its events, with `steps` (the pending reservation taken over, the
 * idempotent response) in the same statement. A step that fails its check throws after the rows
 * are written: the caller's transaction rolls them back.
 */
export async function insertOrder(
  tx: EntityManager,
  order: Order,
  fulfilment: readonly FulfilmentOrder[],
  topic: string,
  steps: readonly SqlStep[],
): Promise<void> {
  const { orders, items, history } = orderCodecs(tx);
  const { events, statusChanges } = order.takeEvents();
  const view = order.view;
  const shipping = newFulfilmentSteps(tx, fulfilment);
  const payloads = fulfilmentPayloads(
    fulfilment.flatMap((each) => each.takeEvents()),
    new Map(fulfilment.map((each) => [each.id, each.view])),
  );
  const outbox = outboxInsert(tx, [
    ...outboxRecords(view, events, topic, view.createdAt),
    ...recordsOf(view, payloads, topic, view.createdAt),
  ]);
  const [counts] = await query<Record<string, number>>(
    tx,
    `with ${steps.map((step) => `${step.sql},`).join(" ")}
     o as (insert into ${orders.table} (${orders.columns.join(", ")}) values ${orders.placeholders}),
     i as (insert into ${items.table} (${items.columns.join(", ")}) values ${repeat(items.placeholders, view.items.length)}),
     h as (insert into ${history.table} (${history.columns.join(", ")}) values ${repeat(history.placeholders, statusChanges.length)})
     ${shipping.sql.map((step) => `, ${step}`).join("")},
     ev as (${outbox.sql})
     ${countsOf(steps)}`,
    [
      ...steps.flatMap((step) => step.params),
      ...orders.values(view),
      ...view.items.flatMap((item) => items.values({ ...item, order: view.id })),
      ...statusChanges.flatMap((change) => history.values({ ...change, order: view.id })),
      ...shipping.params,
      ...outbox.params,
    ],
  );
  for (const step of steps) step.check(counts![step.name]!);
}

const repeat = (placeholders: string, count: number) => Array.from({ length: count }, () => placeholders).join(", ");

export interface LockTarget extends Reader {
  readonly orderId: string;
  readonly expectedVersion?: bigint;
}

/** An order locked in a transaction, with the rows as they were read: `saveOrder` writes what differs. */
export interface LockedOrder {
  readonly order: Order;
  readonly stored: OrderView;
}

/**
 * Locks the order row for the transaction, so changes of one order happen one at a time, then
 * reads it. Locked first, then read: a read that waited for the lock would see the items as they
 * were when it started (its snapshot), not as the change it waited for left them.
 */
export async function lockOrder(tx: EntityManager, target: LockTarget): Promise<LockedOrder> {
  const owner = target.ownerId ? " and user_id = ?" : "";
  const locked = await query<unknown>(tx, `select 1 from orders where id = ? and deleted_at is null${owner} for update`, [
    target.orderId,
    ...(target.ownerId ? [target.ownerId] : []),
  ]);
  const reader = readerClause({ sellerId: target.sellerId });
  const [stored] = locked.length
    ? await queryOrders(tx, `${selectOrders(tx, false)} where o.id = ?${reader.sql}`, [target.orderId, ...reader.params])
    : [];
  // A customer's other orders and a seller's orders without its items are NOT_FOUND, exactly like missing ones.
  if (!stored) throw new NotFoundError("order", target.orderId);
  const version = BigInt(stored.version);
  if (target.expectedVersion !== undefined && target.expectedVersion !== version) {
    throw new VersionConflictError("order", stored.id, target.expectedVersion, version);
  }
  return { order: Order.restore(stored), stored };
}

/**
 * Stores a locked order's change in one statement: the columns of the order that changed (and its
 * version, one up), its items added or changed, those removed, its new history, its fulfilment
 * orders and shipments and its changes (returns, claims) that changed (when they were read), its new
 * ledger rows, and the events of all. Nothing is
 * written when the change made no event.
 */
export async function saveOrder(
  tx: EntityManager,
  locked: LockedOrder,
  topic: string,
  now: Date,
  fulfilment?: LoadedFulfilment,
  changes?: LoadedChanges,
): Promise<void> {
  const { order, stored } = locked;
  const { events, statusChanges, removedItemIds, ledgerEntries } = order.takeEvents();
  const fulfilmentEvents = fulfilment?.orders.flatMap((each) => each.takeEvents()) ?? [];
  const changeEvents = changes?.changes.map((change) => ({ change, events: change.takeEvents() })) ?? [];
  if (!events.length && !fulfilmentEvents.length && !changeEvents.some((each) => each.events.length)) return;
  const { orders, items, history } = orderCodecs(tx);
  // The row is locked: the version this writes is the stored one plus one, so the events can carry it.
  order.stored(stored.version + 1, now);
  const view = order.view;

  const steps: string[] = [];
  const params: unknown[] = [];
  const step = (sql: string, values: readonly unknown[]) => (steps.push(sql), params.push(...values));

  const before = orders.values(stored);
  const after = orders.values(view);
  const changed = orders.columns.flatMap((column, i) => (sameValue(before[i], after[i]) ? [] : [{ column, value: after[i] }]));
  const sets = changed.map(({ column }) => `${column} = ${orders.placeholderOf(column)}`).join(", ");
  step(`o as (update ${orders.table} set ${sets} where id = ? returning version)`, [...changed.map(({ value }) => value), view.id]);

  const storedItems = new Map(stored.items.map((item) => [item.id, items.values({ ...item, order: view.id })]));
  const written = view.items
    .map((item) => items.values({ ...item, order: view.id }))
    .filter((values, i) => {
      const old = storedItems.get(view.items[i]!.id);
      return !old || values.some((value, k) => !sameValue(value, old[k]));
    });
  if (written.length) {
    const updated = items.columns.filter((column) => column !== "id" && column !== "order_id");
    step(
      `i as (insert into ${items.table} (${items.columns.join(", ")}) values ${repeat(items.placeholders, written.length)}
       on conflict (id) do update set ${updated.map((column) => `${column} = excluded.${column}`).join(", ")})`,
      written.flat(),
    );
  }
  if (removedItemIds.length)
    step(`d as (delete from ${items.table} where order_id = ? and id = any(?::uuid[]))`, [view.id, removedItemIds]);
  if (statusChanges.length) {
    step(
      `h as (insert into ${history.table} (${history.columns.join(", ")}) values ${repeat(history.placeholders, statusChanges.length)})`,
      statusChanges.flatMap((change) => history.values({ ...change, order: view.id })),
    );
  }
  const ledger = ledgerSteps(tx, ledgerEntries);
  steps.push(...ledger.sql);
  params.push(...ledger.params);
  let payloads: EventPayload[] = [];
  if (fulfilment) {
    const also = fulfilmentSteps(tx, fulfilment.orders, fulfilment.stored, now);
    steps.push(...also.sql);
    params.push(...also.params);
    payloads = fulfilmentPayloads(fulfilmentEvents, new Map(fulfilment.orders.map((each) => [each.id, each.view])));
  }
  if (changes) {
    const also = changeSteps(tx, changes, now);
    steps.push(...also.sql);
    params.push(...also.params);
    payloads.push(...changeEvents.flatMap(({ change, events: of }) => changePayloads(of, change.view, view)));
  }
  // The order's own events last: a change's last event names it (WatchOrder's event_type).
  const outbox = outboxInsert(tx, [...recordsOf(view, payloads, topic, now), ...outboxRecords(view, events, topic, now)]);
  step(`e as (${outbox.sql})`, outbox.params);

  const [row] = await query<{ version: number }>(tx, `with ${steps.join(",\n")} select version from o`, params);
  if (row?.version !== view.version) throw new Error(`saveOrder: order ${view.id} is at version ${row?.version}, not ${view.version}`);
}

/** Values as written (Dates, bigints, JSON text) compared as stored. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b;
}

import type { EntityManager } from "@mikro-orm/postgresql";
import { outboxRow, type EventRecord } from "../outbox/outbox-writer.js";
import type { OrderItemRecord, OrderRecord, StatusChangeRecord } from "./order-record.js";

/*
 * Plain SQL for the hot paths, measured in issue 8: reading an order with its items is one
 * statement instead of two plus MikroORM's query building and hydration, and placing an order is
 * one insert of all its rows. Everything else changes orders through the entities. Keep the
 * columns here in step with order.entity.ts; the order tests read both ways.
 */

const ITEMS = `coalesce((select json_agg(json_build_object(
    'id', i.id, 'productId', i.product_id, 'sku', i.sku, 'name', i.name, 'imageUrl', i.image_url,
    'quantity', i.quantity, 'unitPriceMinor', i.unit_price_minor::text, 'status', i.status) order by i.position)
  from order_items i where i.order_id = o.id), '[]') as items`;

const HISTORY = `coalesce((select json_agg(json_build_object(
    'fromStatus', h.from_status, 'toStatus', h.to_status, 'changedAt', h.changed_at, 'actor', h.actor, 'reason', h.reason) order by h.id)
  from order_status_history h where h.order_id = o.id), '[]') as history`;

/** `select ... from orders o` with each order's items (and history), for a where clause on `o`. */
export function selectOrders(options: { withHistory?: boolean } = {}): string {
  return `select o.*, ${ITEMS}${options.withHistory ? `, ${HISTORY}` : ""} from orders o`;
}

type Row = Record<string, unknown>;

export async function queryOrders(em: EntityManager, sql: string, params: unknown[]): Promise<OrderRecord[]> {
  const rows = await em.execute<Row[]>(sql, params);
  return rows.map(orderFromRow);
}

const date = (value: unknown) => (value instanceof Date ? value : new Date(value as string));
const optionalDate = (value: unknown) => (value === null || value === undefined ? null : date(value));
const json = <T>(value: unknown): T => (typeof value === "string" ? JSON.parse(value) : value) as T;

function orderFromRow(row: Row): OrderRecord {
  return {
    id: row.id as string,
    orderNumber: row.order_number as string,
    userId: row.user_id as string,
    customerEmail: row.customer_email as string,
    customerFirstName: row.customer_first_name as string,
    customerLastName: row.customer_last_name as string,
    customerPhone: row.customer_phone as string,
    shippingAddress: json(row.shipping_address),
    status: row.status as OrderRecord["status"],
    paymentMethod: row.payment_method as OrderRecord["paymentMethod"],
    paymentDisplay: row.payment_display as string,
    paymentStatus: row.payment_status as OrderRecord["paymentStatus"],
    paymentTransactionId: row.payment_transaction_id as string,
    paymentFailureReason: row.payment_failure_reason as string,
    paymentUpdatedAt: optionalDate(row.payment_updated_at),
    currency: row.currency as string,
    subtotalMinor: BigInt(row.subtotal_minor as string),
    taxMinor: BigInt(row.tax_minor as string),
    shippingMinor: BigInt(row.shipping_minor as string),
    totalMinor: BigInt(row.total_minor as string),
    notes: row.notes as string,
    trackingNumber: row.tracking_number as string,
    carrier: row.carrier as string,
    estimatedDeliveryDate: row.estimated_delivery_date as string,
    cancelReason: row.cancel_reason as string,
    reservationId: row.reservation_id as string,
    version: Number(row.version),
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
    items: json<(Omit<OrderItemRecord, "unitPriceMinor"> & { unitPriceMinor: string })[]>(row.items).map((item) => ({
      ...item,
      unitPriceMinor: BigInt(item.unitPriceMinor),
    })),
    history:
      row.history === undefined
        ? undefined
        : json<(Omit<StatusChangeRecord, "changedAt"> & { changedAt: string })[]>(row.history).map((change) => ({
            ...change,
            changedAt: date(change.changedAt),
          })),
  };
}

/** A new order's rows, all in one statement: the order, its items, its first history entry, its event. */
export async function insertOrder(
  tx: EntityManager,
  order: OrderRecord,
  placed: StatusChangeRecord,
  event: EventRecord,
): Promise<void> {
  const items = [...order.items];
  const row = outboxRow(event);
  const itemValues = items.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ");
  await tx.execute(
    `with o as (
       insert into orders (id, order_number, user_id, customer_email, customer_first_name, customer_last_name, customer_phone,
         shipping_address, status, payment_method, payment_display, payment_status, currency, subtotal_minor, tax_minor,
         shipping_minor, total_minor, notes, estimated_delivery_date, reservation_id, version, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id),
     i as (
       insert into order_items (id, order_id, position, product_id, sku, name, image_url, quantity, unit_price_minor, status)
       values ${itemValues}),
     h as (
       insert into order_status_history (order_id, from_status, to_status, changed_at, actor, reason)
       select id, null, ?, ?, ?, ? from o)
     insert into outbox_events (event_id, topic, aggregate_id, event_type, payload, occurred_at, next_attempt_at, trace_parent)
     select ?, ?, ?, ?, ?, ?, ?, ? from o`,
    [
      order.id, order.orderNumber, order.userId, order.customerEmail, order.customerFirstName, order.customerLastName, order.customerPhone,
      JSON.stringify(order.shippingAddress), order.status, order.paymentMethod, order.paymentDisplay, order.paymentStatus, order.currency,
      order.subtotalMinor, order.taxMinor, order.shippingMinor, order.totalMinor, order.notes, order.estimatedDeliveryDate,
      order.reservationId, order.version, order.createdAt, order.updatedAt,
      ...items.flatMap((item, position) => [
        item.id, order.id, position, item.productId, item.sku, item.name, item.imageUrl, item.quantity, item.unitPriceMinor, item.status,
      ]),
      placed.toStatus, placed.changedAt, placed.actor, placed.reason,
      row.eventId, row.topic, row.aggregateId, row.eventType, row.payload, row.occurredAt, row.nextAttemptAt, row.traceParent,
    ],
  );
}

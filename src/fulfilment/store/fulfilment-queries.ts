import type { EntityManager } from "@mikro-orm/postgresql";
import { rowCodec } from "../../db/row-codec.js";
import { query } from "../../db/sql.js";
import { NotFoundError } from "../../platform/errors/domain-errors.js";
import type { FulfilmentOrderFields, Hold, Shipment, ShipmentFields } from "../domain/fulfilment-data.js";
import type { FulfilmentOrderView } from "../domain/fulfilment-order.js";
import type { FulfilmentStatus } from "../domain/fulfilment-status.js";
import { FulfilmentOrderRow, ShipmentRow } from "./fulfilment.entity.js";

/*
 * The read side of the fulfilment tables: whole fulfilment orders (with their shipments as one JSON
 * array) in one statement, the queue a seller works from, an order's shipments, and who owns an id.
 */

export function fulfilmentCodecs(em: EntityManager) {
  return {
    fulfilment: rowCodec<FulfilmentOrderFields>(em, FulfilmentOrderRow),
    shipments: rowCodec<ShipmentFields>(em, ShipmentRow),
  };
}

/** Fulfilment orders matching `where` (on `f`), with their shipments, in `orderBy`. */
export async function queryFulfilment(
  em: EntityManager,
  where: string,
  params: unknown[],
  orderBy: string,
): Promise<FulfilmentOrderView[]> {
  const { fulfilment, shipments } = fulfilmentCodecs(em);
  const rows = await query<Record<string, unknown>>(
    em,
    `select f.*, ${shipments.jsonArray("s", "s.fulfillment_order_id = f.id", "s.created_at, s.id")} as shipments
     from ${fulfilment.table} f where ${where} order by ${orderBy}`,
    params,
  );
  return rows.map((row) => viewOf(fulfilment.fromRow(row), shipments.fromJsonArray(row.shipments)));
}

/** Rows as read, with the JSON columns' dates as dates again. */
function viewOf(row: FulfilmentOrderFields, shipments: ShipmentFields[]): FulfilmentOrderView {
  return { ...row, holds: row.holds.map(reviveHold), shipments: shipments.map(shipmentOf) };
}

export function shipmentOf({ fulfillmentOrderId: _fo, orderId: _order, sellerId: _seller, ...shipment }: ShipmentFields): Shipment {
  return shipment;
}

function reviveHold(hold: Hold): Hold {
  return { ...hold, heldAt: new Date(hold.heldAt), releasedAt: hold.releasedAt === null ? null : new Date(hold.releasedAt) };
}

/** An order's fulfilment orders, oldest first; a seller's own only. */
export function findFulfilment(em: EntityManager, orderId: string, sellerId?: string): Promise<FulfilmentOrderView[]> {
  const seller = sellerId === undefined ? "" : " and f.seller_id = ?";
  return queryFulfilment(em, `f.order_id = ?${seller}`, [orderId, ...(sellerId === undefined ? [] : [sellerId])], "f.created_at, f.id");
}

/** The work queue: fulfilment orders in `statuses`, oldest first by (created_at, id), a keyset; a seller's own only. */
export function fulfilmentQueue(
  em: EntityManager,
  filters: { sellerId?: string; statuses: readonly FulfilmentStatus[] },
  limit: number,
  after?: { createdAt: Date; id: string },
): Promise<FulfilmentOrderView[]> {
  const clauses = [`f.status in (${filters.statuses.map(() => "?").join(", ")})`];
  const params: unknown[] = [...filters.statuses];
  if (filters.sellerId !== undefined) {
    clauses.push("f.seller_id = ?");
    params.push(filters.sellerId);
  }
  if (after) {
    clauses.push("(f.created_at, f.id) > (?, ?)");
    params.push(after.createdAt, after.id);
  }
  params.push(limit);
  return queryFulfilment(em, clauses.join(" and "), params, "f.created_at, f.id limit ?");
}

/** An order's shipments, oldest first; a seller's own only. */
export async function findShipments(em: EntityManager, orderId: string, sellerId?: string): Promise<ShipmentFields[]> {
  const { shipments } = fulfilmentCodecs(em);
  const seller = sellerId === undefined ? "" : " and s.seller_id = ?";
  const rows = await query<Record<string, unknown>>(
    em,
    `select s.* from ${shipments.table} s where s.order_id = ?${seller} order by s.created_at, s.id`,
    [orderId, ...(sellerId === undefined ? [] : [sellerId])],
  );
  return rows.map((row) => shipments.fromRow(row));
}

/** The order a fulfilment order belongs to: NOT_FOUND when it does not exist for the caller (another seller's); a deleted order is NOT_FOUND when it is locked. */
export async function orderOfFulfilment(em: EntityManager, fulfilmentOrderId: string, sellerId?: string): Promise<string> {
  const [row] = await query<{ order_id: string; seller_id: string }>(
    em,
    `select f.order_id, f.seller_id from fulfillment_orders f where f.id = ?`,
    [fulfilmentOrderId],
  );
  if (!row || (sellerId !== undefined && row.seller_id !== sellerId)) throw new NotFoundError("fulfillment order", fulfilmentOrderId);
  return row.order_id;
}

/** The order a shipment belongs to, checked as `orderOfFulfilment` checks it. */
export async function orderOfShipment(em: EntityManager, shipmentId: string, sellerId?: string): Promise<string> {
  const [row] = await query<{ order_id: string; seller_id: string }>(em, `select s.order_id, s.seller_id from shipments s where s.id = ?`, [
    shipmentId,
  ]);
  if (!row || (sellerId !== undefined && row.seller_id !== sellerId)) throw new NotFoundError("shipment", shipmentId);
  return row.order_id;
}

import type { EntityManager } from "@mikro-orm/postgresql";
import { FulfilmentOrder, type FulfilmentOrderView } from "../domain/fulfilment-order.js";
import { sameAsStored } from "../../db/same-as-stored.js";
import { findFulfilment, fulfilmentCodecs } from "./fulfilment-queries.js";

/*
 * The write side of the fulfilment tables. An order's fulfilment orders are read and written only
 * while the order row is locked (orders/mutate-order.ts), so they change one at a time with the
 * order; a change is one statement of upserts, only of the rows that differ from what was read.
 */

/** An order's fulfilment orders as read in its transaction: `fulfilmentSteps` writes what differs. */
export interface LoadedFulfilment {
  readonly orders: FulfilmentOrder[];
  readonly stored: ReadonlyMap<string, FulfilmentOrderView>;
}

/** The order's fulfilment orders with their shipments, oldest first. Call with the order row locked. */
export async function loadFulfilment(tx: EntityManager, orderId: string): Promise<LoadedFulfilment> {
  const views = await findFulfilment(tx, orderId);
  return { orders: views.map((view) => FulfilmentOrder.restore(view)), stored: new Map(views.map((view) => [view.id, view])) };
}

/** A statement's `with` steps: SQL and the values it binds, in order. */
export interface Steps {
  readonly sql: string[];
  readonly params: unknown[];
}

/**
 * The upserts that store the fulfilment orders (and their shipments) that differ from `stored`,
 * as steps of the order's save statement; each changed fulfilment order's version goes one up.
 */
export function fulfilmentSteps(
  tx: EntityManager,
  orders: readonly FulfilmentOrder[],
  stored: LoadedFulfilment["stored"],
  now: Date,
): Steps {
  const { fulfilment, shipments } = fulfilmentCodecs(tx);
  const steps: Steps = { sql: [], params: [] };
  const changedOrders: unknown[][] = [];
  const changedShipments: unknown[][] = [];
  for (const order of orders) {
    const before = stored.get(order.id);
    const own = ({ version: _v, updatedAt: _u, ...rest }: FulfilmentOrderView) => rest;
    if (before && sameAsStored(own(before), own(order.view))) continue;
    order.stored((before?.version ?? 0) + 1, now);
    const view = order.view;
    changedOrders.push(fulfilment.values(view));
    const storedShipments = new Map((before?.shipments ?? []).map((shipment) => [shipment.id, shipment]));
    for (const shipment of view.shipments) {
      const values = shipments.values({ ...shipment, fulfillmentOrderId: view.id, orderId: view.orderId, sellerId: view.sellerId });
      const old = storedShipments.get(shipment.id);
      if (!old || !sameAsStored(old, shipment)) changedShipments.push(values);
    }
  }
  upsert(steps, "fo", fulfilment, changedOrders);
  upsert(steps, "sh", shipments, changedShipments);
  return steps;
}

/** The rows of new fulfilment orders (a placed order's), as steps of its insert statement. */
export function newFulfilmentSteps(tx: EntityManager, orders: readonly FulfilmentOrder[]): Steps {
  return fulfilmentSteps(tx, orders, new Map(), orders[0]?.view.createdAt ?? new Date(0));
}

function upsert(steps: Steps, name: string, codec: { table: string; columns: readonly string[]; placeholders: string }, rows: unknown[][]) {
  if (!rows.length) return;
  const updated = codec.columns.filter((column) => column !== "id");
  steps.sql.push(
    `${name} as (insert into ${codec.table} (${codec.columns.join(", ")}) values ${rows.map(() => codec.placeholders).join(", ")}
     on conflict (id) do update set ${updated.map((column) => `${column} = excluded.${column}`).join(", ")})`,
  );
  steps.params.push(...rows.flat());
}

import { defineEntity, p } from "@mikro-orm/core";
import type { Check, Fields, Holds } from "../../db/fields.js";
import type { FulfilmentLine, FulfilmentOrderFields, Hold, ShipmentFields, ShipmentLine } from "../domain/fulfilment-data.js";
import { FULFILMENT_STATUSES, SHIPMENT_STATUSES } from "../domain/fulfilment-status.js";

/*
 * Fulfilment's tables. Lines and holds are JSON in the fulfilment order's row: they are only ever
 * read and written with it, under the order's lock, and are capped (MAX_HOLDS, an order's items),
 * so a row stays small. Shipments have a table of their own: customers and sellers list them, and
 * calls name them by id.
 */
const FulfilmentOrderSchema = defineEntity({
  name: "FulfillmentOrder",
  tableName: "fulfillment_orders",
  properties: {
    id: p.uuid().primary(),
    orderId: p.uuid(),
    sellerId: p.string(),
    locationId: p.string(),
    status: p.enum(FULFILMENT_STATUSES),
    fulfillAt: p.datetime().nullable(),
    version: p.integer(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    lines: p.json<FulfilmentLine[]>(),
    holds: p.json<Hold[]>(),
  },
  indexes: [
    { name: "fulfillment_orders_order_id", properties: ["orderId"] },
    // A seller's "to ship" list: its open work, oldest first.
    { name: "fulfillment_orders_seller_queue", properties: ["sellerId", "status", "createdAt"] },
  ],
});
export class FulfilmentOrderRow extends FulfilmentOrderSchema.class {}
FulfilmentOrderSchema.setClass(FulfilmentOrderRow);

const ShipmentSchema = defineEntity({
  name: "Shipment",
  tableName: "shipments",
  properties: {
    id: p.uuid().primary(),
    fulfillmentOrderId: p.uuid(),
    orderId: p.uuid(),
    sellerId: p.string(),
    status: p.enum(SHIPMENT_STATUSES),
    carrier: p.string().length(64).default(""),
    trackingNumber: p.string().length(64).default(""),
    trackingUrl: p.string().length(2048).default(""),
    failureReason: p.string().length(1024).default(""),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    lines: p.json<ShipmentLine[]>(),
  },
  indexes: [
    { name: "shipments_order_id", properties: ["orderId"] },
    { name: "shipments_fulfillment_order_id", properties: ["fulfillmentOrderId"] },
  ],
});
export class ShipmentRow extends ShipmentSchema.class {}
ShipmentSchema.setClass(ShipmentRow);

/** Compile-time only: fails to compile when a table and the domain's data differ. */
export type TablesHoldTheDomain = [
  Check<Holds<Fields<FulfilmentOrderRow, never>, FulfilmentOrderFields>>,
  Check<Holds<Fields<ShipmentRow, never>, ShipmentFields>>,
];

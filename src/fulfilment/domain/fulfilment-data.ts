import type { FulfilmentStatus, HoldReason, ShipmentStatus } from "./fulfilment-status.js";

/*
 * A fulfilment order's data, as the aggregate keeps it and the store writes it: the tables hold
 * exactly these fields (checked at compile time in store/fulfilment.entity.ts).
 */

/** Units of one order item that one fulfilment order ships from its location. */
export interface FulfilmentLine {
  id: string;
  orderItemId: string;
  productId: string;
  /** '' for products without variants. */
  variantId: string;
  /** Units this fulfilment order was given. */
  quantity: number;
  /** Units not yet in a shipment. */
  remaining: number;
}

export interface Hold {
  id: string;
  /** Unique within its fulfilment order; names the hold to release. */
  handle: string;
  reason: HoldReason;
  note: string;
  heldBy: string;
  heldAt: Date;
  releasedAt: Date | null;
  releasedBy: string;
}

export interface ShipmentLine {
  fulfilmentLineId: string;
  orderItemId: string;
  productId: string;
  variantId: string;
  quantity: number;
}

export interface Shipment {
  id: string;
  status: ShipmentStatus;
  carrier: string;
  trackingNumber: string;
  trackingUrl: string;
  failureReason: string;
  createdAt: Date;
  updatedAt: Date;
  lines: ShipmentLine[];
}

export interface FulfilmentOrderData {
  id: string;
  orderId: string;
  sellerId: string;
  locationId: string;
  status: FulfilmentStatus;
  /** SCHEDULED until then. */
  fulfillAt: Date | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  lines: FulfilmentLine[];
  holds: Hold[];
  shipments: Shipment[];
}

/** A fulfilment order's own row: lines and holds are read and written only with it. */
export type FulfilmentOrderFields = Omit<FulfilmentOrderData, "shipments">;

/** A shipment's row: what it carries and whose it is, so the customer's and seller's lists need no join. */
export type ShipmentFields = Shipment & { fulfillmentOrderId: string; orderId: string; sellerId: string };

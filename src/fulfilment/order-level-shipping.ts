import { newId } from "../platform/clock.js";
import { FailedPreconditionError } from "../platform/errors/domain-errors.js";
import type { FulfilmentOrder } from "./domain/fulfilment-order.js";
import { HANDED_OVER } from "./domain/fulfilment-status.js";
import type { FulfilmentContext } from "./mutate-fulfilment.js";

/*
 * What the order-level RPCs of before fulfilment do to it, so their clients keep working:
 * UpdateOrderStatus to SHIPPED or DELIVERED, and UpdateOrderItemStatus to SHIPPED, DELIVERED or
 * CANCELLED. Each is a shipment, or a move of shipments, of the fulfilment orders; the order then
 * follows them as it follows FulfillmentService's.
 */

interface Tracking {
  readonly trackingNumber: string;
  readonly carrier: string;
}

const live = (orders: readonly FulfilmentOrder[]) => orders.filter((order) => order.status !== "CANCELLED");

/**
 * The order ships as a whole: the one fulfilment order with units remaining ships them all in one
 * parcel handed to the carrier, with the request's tracking. When several have units remaining
 * (sellers or locations), FAILED_PRECONDITION names them: each ships with CreateShipment.
 */
export function shipWholeOrder(context: FulfilmentContext, tracking: Tracking): void {
  const open = live(context.orders).filter((order) => order.view.lines.some((line) => line.remaining > 0));
  if (open.length > 1) {
    throw new FailedPreconditionError(
      "SEVERAL_FULFILLMENT_ORDERS",
      `the order ships from ${open.length} fulfillment orders; ship each with FulfillmentService.CreateShipment`,
      open.map((order) => ({
        type: "FULFILLMENT_ORDER",
        subject: `fulfillmentOrders/${order.id}`,
        description: `${order.view.sellerId} at ${order.view.locationId}`,
      })),
    );
  }
  for (const order of open) shipLines(context, order, () => true, tracking);
}

/** One item ships: in every fulfilment order holding units of it, those units in one parcel handed to the carrier. */
export function shipItem(context: FulfilmentContext, orderItemId: string, tracking: Tracking): void {
  for (const order of live(context.orders)) {
    if (order.view.lines.some((line) => line.orderItemId === orderItemId && line.remaining > 0)) {
      shipLines(context, order, (line) => line.orderItemId === orderItemId, tracking);
    }
  }
}

function shipLines(
  context: FulfilmentContext,
  order: FulfilmentOrder,
  which: (line: FulfilmentOrder["view"]["lines"][number]) => boolean,
  tracking: Tracking,
): void {
  const lines = new Map(order.view.lines.filter((line) => which(line) && line.remaining > 0).map((line) => [line.id, line.remaining]));
  const shipment = { id: newId(), lines, ...tracking, trackingUrl: "", handedOver: true };
  context.stock(order.ship(shipment, context.by));
}

/** Parcels arrived: every handed-over shipment (or those carrying the item) is DELIVERED. A parcel arrives whole, with all it carries. */
export function deliverShipments(context: FulfilmentContext, orderItemId?: string): void {
  for (const order of context.orders) {
    for (const shipment of order.view.shipments) {
      const carries = orderItemId === undefined || shipment.lines.some((line) => line.orderItemId === orderItemId);
      if (carries && HANDED_OVER.includes(shipment.status) && shipment.status !== "DELIVERED") {
        order.moveShipment(shipment.id, "DELIVERED", "", context.by);
      }
    }
  }
}

/** The item was cancelled: its units leave the fulfilment orders and go back to stock where they were held. */
export function dropItem(context: FulfilmentContext, orderItemId: string): void {
  for (const order of live(context.orders)) context.stock(order.dropItem(orderItemId, context.by));
}

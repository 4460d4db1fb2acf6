import { HoldReason as HoldReasonEvent, type FulfillmentLineSchema } from "../../../gen/shop/order/events/v1/order_events_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EventPayload } from "../../orders/store/order-outbox.js";
import type { FulfilmentEvent, FulfilmentOrderView } from "../domain/fulfilment-order.js";

/*
 * The outbox adapter of fulfilment: its events as the order's (shop.order.events.v1, keyed by the
 * order id), each naming the seller. The only place fulfilment events meet protobuf.
 */

type Line = MessageInitShape<typeof FulfillmentLineSchema>;

const linesOf = (lines: readonly { orderItemId: string; productId: string; variantId: string; quantity: number }[]): Line[] =>
  lines.map(({ orderItemId, productId, variantId, quantity }) => ({ orderItemId, productId, variantId, quantity }));

/** The payloads of fulfilment events, read against the fulfilment orders as the change left them. */
export function fulfilmentPayloads(events: readonly FulfilmentEvent[], orders: ReadonlyMap<string, FulfilmentOrderView>): EventPayload[] {
  return events.map((event) => payloadOf(event, orders.get(event.fulfillmentOrderId)!));
}

function payloadOf(event: FulfilmentEvent, order: FulfilmentOrderView): EventPayload {
  const ids = { fulfillmentOrderId: order.id, sellerId: order.sellerId };
  const shipment = "shipmentId" in event ? order.shipments.find((candidate) => candidate.id === event.shipmentId)! : undefined;
  const shipped = shipment && { shipmentId: shipment.id, ...ids };
  switch (event.type) {
    case "FulfillmentOrderCreated":
      return { case: "fulfillmentOrderCreated", value: { ...ids, locationId: order.locationId, lines: linesOf(order.lines) } };
    case "FulfillmentOrderHeld":
      return { case: "fulfillmentOrderHeld", value: { ...ids, handle: event.handle, reason: HoldReasonEvent[event.reason] } };
    case "FulfillmentOrderReleased":
      return { case: "fulfillmentOrderReleased", value: { ...ids, handles: event.handles } };
    case "FulfillmentOrderMoved":
      return { case: "fulfillmentOrderMoved", value: { ...ids, fromLocationId: event.fromLocationId, toLocationId: event.toLocationId } };
    case "FulfillmentOrderSplit":
      return {
        case: "fulfillmentOrderSplit",
        value: { ...ids, newFulfillmentOrderId: event.newFulfillmentOrderId, lines: linesOf(order.lines) },
      };
    case "FulfillmentOrderMerged":
      return {
        case: "fulfillmentOrderMerged",
        value: { ...ids, mergedFulfillmentOrderId: event.mergedFulfillmentOrderId, lines: linesOf(order.lines) },
      };
    case "FulfillmentOrderCancelled":
      return { case: "fulfillmentOrderCancelled", value: ids };
    case "ShipmentCreated":
      return {
        case: "shipmentCreated",
        value: {
          ...shipped,
          lines: linesOf(shipment!.lines),
          carrier: shipment!.carrier,
          trackingNumber: shipment!.trackingNumber,
          trackingUrl: shipment!.trackingUrl,
        },
      };
    case "ShipmentInTransit":
      return { case: "shipmentInTransit", value: shipped! };
    case "ShipmentDelivered":
      return { case: "shipmentDelivered", value: shipped! };
    case "ShipmentFailed":
      return { case: "shipmentFailed", value: { ...shipped, reason: event.reason } };
    case "ShipmentCancelled":
      return { case: "shipmentCancelled", value: shipped! };
    case "ShipmentTrackingChanged":
      return {
        case: "shipmentTrackingChanged",
        value: { ...shipped, carrier: shipment!.carrier, trackingNumber: shipment!.trackingNumber, trackingUrl: shipment!.trackingUrl },
      };
  }
}

import type { FulfillmentService } from "../../../gen/shop/order/v1/fulfillment_pb.js";
import type { AccessTable, ByViewer, VisibilityTable } from "../../platform/auth/visibility.js";

const ALL: ByViewer = { customer: true, seller: true, staff: true };
const WORK: ByViewer = { customer: false, seller: "own fulfillment orders", staff: true };
/** What only the people doing the work see: where stock sits, why an order is held. */
const INTERNAL: ByViewer = { customer: false, seller: "own fulfillment orders", staff: true };

/**
 * Who may call each FulfillmentService method. A seller reads and works its own fulfilment orders
 * and shipments (another seller's are NOT_FOUND, exactly like missing ones), staff do everything,
 * a customer reads its own order's shipments. Split, merge, move and schedule are staff's: they
 * re-plan where an order ships from, which a seller asks staff for.
 */
export const FULFILLMENT_ACCESS: AccessTable<typeof FulfillmentService> = {
  listFulfillmentOrders: WORK,
  holdFulfillmentOrder: WORK,
  releaseFulfillmentOrder: WORK,
  splitFulfillmentOrder: { customer: false, seller: false, staff: true },
  mergeFulfillmentOrders: { customer: false, seller: false, staff: true },
  moveFulfillmentOrder: { customer: false, seller: false, staff: true },
  scheduleFulfillmentOrder: { customer: false, seller: false, staff: true },
  createShipment: WORK,
  updateShipmentStatus: WORK,
  updateShipmentTracking: WORK,
  listShipments: { customer: "own orders", seller: "own shipments", staff: true },
};

/** Each field of every message FulfillmentService answers with, by role. */
export const FULFILLMENT_VISIBILITY: VisibilityTable = {
  "shop.order.v1.FulfillmentOrder": {
    id: INTERNAL,
    order_id: INTERNAL,
    seller_id: INTERNAL,
    location_id: INTERNAL,
    status: INTERNAL,
    fulfill_time: INTERNAL,
    lines: INTERNAL,
    holds: INTERNAL,
    shipments: INTERNAL,
    version: INTERNAL,
    create_time: INTERNAL,
    update_time: INTERNAL,
  },
  "shop.order.v1.FulfillmentOrderLine": {
    id: INTERNAL,
    order_item_id: INTERNAL,
    product_id: INTERNAL,
    variant_id: INTERNAL,
    quantity: INTERNAL,
    remaining_quantity: INTERNAL,
  },
  "shop.order.v1.FulfillmentHold": {
    handle: INTERNAL,
    reason: INTERNAL,
    note: INTERNAL,
    held_by: INTERNAL,
    hold_time: INTERNAL,
    release_time: INTERNAL,
    released_by: INTERNAL,
  },
  "shop.order.v1.Shipment": {
    id: ALL,
    order_id: ALL,
    // Internal ids of the work behind a parcel: the customer sees the parcel.
    fulfillment_order_id: INTERNAL,
    seller_id: ALL,
    status: ALL,
    carrier: ALL,
    tracking_number: ALL,
    tracking_url: ALL,
    failure_reason: ALL,
    lines: ALL,
    create_time: ALL,
    update_time: ALL,
  },
  "shop.order.v1.ShipmentLine": {
    fulfillment_order_line_id: INTERNAL,
    order_item_id: ALL,
    product_id: ALL,
    variant_id: ALL,
    quantity: ALL,
  },
  "shop.order.v1.ListFulfillmentOrdersResponse": { fulfillment_orders: INTERNAL, next_page_token: INTERNAL },
  "shop.order.v1.HoldFulfillmentOrderResponse": { held: INTERNAL, remainder: INTERNAL },
  "shop.order.v1.ReleaseFulfillmentOrderResponse": { fulfillment_order: INTERNAL },
  "shop.order.v1.SplitFulfillmentOrderResponse": { remainder: INTERNAL, split: INTERNAL },
  "shop.order.v1.MergeFulfillmentOrdersResponse": { fulfillment_order: INTERNAL },
  "shop.order.v1.MoveFulfillmentOrderResponse": { fulfillment_order: INTERNAL },
  "shop.order.v1.ScheduleFulfillmentOrderResponse": { fulfillment_order: INTERNAL },
  "shop.order.v1.CreateShipmentResponse": { shipment: INTERNAL, fulfillment_order: INTERNAL },
  "shop.order.v1.UpdateShipmentStatusResponse": { shipment: INTERNAL, fulfillment_order: INTERNAL },
  "shop.order.v1.UpdateShipmentTrackingResponse": { shipment: INTERNAL },
  "shop.order.v1.ListShipmentsResponse": { shipments: ALL },
  "shop.money.v1.Money": { currency_code: ALL, amount_minor: ALL },
};

export { OrderService } from "../gen/shop/order/v1/order_pb.js";
export { FulfillmentService } from "../gen/shop/order/v1/fulfillment_pb.js";
export { OrderChangeService } from "../gen/shop/order/v1/changes_pb.js";
export { OrderLedgerService } from "../gen/shop/order/v1/ledger_pb.js";
export { CartService } from "../gen/shop/cart/v1/cart_pb.js";
export { OrderEventSchema, type OrderEvent } from "../gen/shop/order/events/v1/order_events_pb.js";
export { CartEventSchema, type CartEvent } from "../gen/shop/cart/events/v1/cart_events_pb.js";
export { decodeOrderEvent, decodeCartEvent, eventTypeOf, EVENT_TYPES, CART_EVENT_TYPES } from "./events.js";
export { SequenceTracker, type SequenceVerdict } from "./sequence.js";

import { fromBinary, fromJsonString, getOption } from "@bufbuild/protobuf";
import { event_type, OrderEventSchema, type OrderEvent } from "../gen/shop/order/events/v1/order_events_pb.js";
import { CartEventSchema, type CartEvent } from "../gen/shop/cart/events/v1/cart_events_pb.js";

/** The CloudEvents type (ce_type header) of each payload, as the contract declares it, by the payload's oneof case. */
export const EVENT_TYPES: ReadonlyMap<string, string> = new Map(
  OrderEventSchema.oneofs[0].fields.map((field) => [field.localName, getOption(field.message!, event_type)]),
);

/** The ce_type an event is sent with, e.g. "shop.order.v1.OrderCreated". */
export function eventTypeOf(event: OrderEvent): string | undefined {
  return event.payload.case ? EVENT_TYPES.get(event.payload.case) : undefined;
}

/**
 * Decodes a record value of the orders.v1 topic by its content-type header: binary protobuf
 * ("application/protobuf; proto=shop.order.events.v1.OrderEvent") or canonical protobuf JSON
 * ("application/json"). Fields added to the contract later are kept (binary) or skipped (JSON).
 */
export function decodeOrderEvent(value: Uint8Array, contentType: string): OrderEvent {
  if (contentType.startsWith("application/json")) {
    return fromJsonString(OrderEventSchema, new TextDecoder().decode(value), { ignoreUnknownFields: true });
  }
  return fromBinary(OrderEventSchema, value);
}

/** The CloudEvents type of each cart event payload (shop.cart.events.v1), by the payload's oneof case. */
export const CART_EVENT_TYPES: ReadonlyMap<string, string> = new Map(
  CartEventSchema.oneofs[0].fields.map((field) => [field.localName, getOption(field.message!, event_type)]),
);

/**
 * Decodes a record value of the cart events topic (shop.cart.events.v1) by its content-type
 * header, as decodeOrderEvent does for orders.
 */
export function decodeCartEvent(value: Uint8Array, contentType: string): CartEvent {
  if (contentType.startsWith("application/json")) {
    return fromJsonString(CartEventSchema, new TextDecoder().decode(value), { ignoreUnknownFields: true });
  }
  return fromBinary(CartEventSchema, value);
}

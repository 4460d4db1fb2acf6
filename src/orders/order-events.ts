import { create, getOption, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  event_type,
  ItemStatus as ItemStatusEvent,
  OrderEventSchema,
  OrderStatus as OrderStatusEvent,
  type LineItemSchema,
} from "../../gen/shop/order/events/v1/order_events_pb.js";
import { money } from "../money/money.js";
import { linePricesToProto, toMoneyProto } from "../money/money-proto.js";
import { storedLine } from "../money/totals.js";
import { newId } from "../platform/clock.js";
import type { EventRecord } from "../outbox/outbox-writer.js";
import type { ItemStatus } from "./item-status.js";
import type { OrderItemRecord, OrderRecord } from "./order-record.js";
import type { OrderStatus } from "./order-status.js";

export type EventPayload = NonNullable<MessageInitShape<typeof OrderEventSchema>["payload"]>;

/** Each payload's CloudEvents type, as the contract declares it (the event_type option), by oneof case. */
const EVENT_TYPES = new Map(
  OrderEventSchema.oneofs[0]!.fields.map((field) => {
    const type = field.message ? getOption(field.message, event_type) : "";
    if (!type) throw new Error(`${field.message?.typeName ?? field.name} declares no event_type`);
    return [field.localName, type];
  }),
);

/** The CloudEvents type of the record, e.g. "shop.order.v1.OrderCreated". */
export function eventType(payload: EventPayload): string {
  return EVENT_TYPES.get(payload.case!)!;
}

export function eventStatus(status: OrderStatus): OrderStatusEvent {
  return OrderStatusEvent[status];
}

export function eventItemStatus(status: ItemStatus): ItemStatusEvent {
  return ItemStatusEvent[status];
}

export function lineItemsOf(order: OrderRecord): MessageInitShape<typeof LineItemSchema>[] {
  return Array.from(order.items, (item: OrderItemRecord) => ({
    itemId: item.id,
    productId: item.productId,
    sku: item.sku,
    name: item.name,
    quantity: item.quantity,
    ...linePricesToProto(storedLine(order.currency, item)),
    status: eventItemStatus(item.status),
  }));
}

/** What consumers learn of a new order: lines and money, and the personal data fulfilment needs. */
export function orderCreated(order: OrderRecord): EventPayload {
  const amount = (minor: bigint) => toMoneyProto(money(order.currency, minor));
  const [year, month, day] = order.estimatedDeliveryDate.split("-").map(Number);
  return {
    case: "orderCreated",
    value: {
      items: lineItemsOf(order),
      subtotal: amount(order.subtotalMinor),
      tax: amount(order.taxMinor),
      shipping: amount(order.shippingMinor),
      customerEmail: order.customerEmail,
      shippingAddress: order.shippingAddress,
      estimatedDeliveryDate: { year, month, day },
    },
  };
}

/**
 * The outbox record for a change to `order`. Call after the change is applied so the envelope
 * carries the order's new status and version.
 */
export function orderEvent(order: OrderRecord, topic: string, payload: EventPayload, at: Date): EventRecord {
  const eventId = newId();
  const event = create(OrderEventSchema, {
    eventId,
    occurTime: timestampFromDate(at),
    orderId: order.id,
    orderNumber: order.orderNumber,
    userId: order.userId,
    orderVersion: BigInt(order.version),
    status: eventStatus(order.status),
    total: toMoneyProto(money(order.currency, order.totalMinor)),
    payload,
  });
  return { eventId, topic, key: order.id, type: eventType(payload), payload: toBinary(OrderEventSchema, event), occurredAt: at };
}

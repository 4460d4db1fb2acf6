import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { OrderEventSchema } from "../../gen/shop/order/v1/order_events_pb.js";
import { money } from "../money/money.js";
import { toMoneyProto } from "../money/money-proto.js";
import { newId } from "../platform/clock.js";
import type { EventRecord } from "../outbox/outbox-writer.js";
import type { OrderRecord } from "./order-record.js";
import { orderStatusToProto } from "./order-mapper.js";

export type EventPayload = NonNullable<MessageInitShape<typeof OrderEventSchema>["payload"]>;

/** e.g. "orderCreated" -> "shop.order.v1.OrderCreated": the CloudEvents type of the record. */
export function eventType(payload: EventPayload): string {
  return `shop.order.v1.${payload.case![0]!.toUpperCase()}${payload.case!.slice(1)}`;
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
    status: orderStatusToProto(order.status),
    total: toMoneyProto(money(order.currency, order.totalMinor)),
    payload,
  });
  return { eventId, topic, key: order.id, type: eventType(payload), payload: toBinary(OrderEventSchema, event), occurredAt: at };
}

import { create, getOption, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  event_type,
  ItemStatus as ItemStatusEvent,
  OrderEventSchema,
  OrderStatus as OrderStatusEvent,
  RefundCause,
  type LineItemSchema,
} from "../../../gen/shop/order/events/v1/order_events_pb.js";
import { money } from "../../money/money.js";
import { linePricesToProto, toMoneyProto } from "../../money/money-proto.js";
import { storedLine } from "../../money/totals.js";
import { newId } from "../../platform/clock.js";
import type { EventRecord } from "../../outbox/outbox-writer.js";
import type { OrderEvent, OrderView } from "../domain/order.js";

/*
 * The outbox adapter of the order aggregate: its events, written as the contract
 * shop.order.events.v1 says. The only place order events meet protobuf.
 */

export type EventPayload = NonNullable<MessageInitShape<typeof OrderEventSchema>["payload"]>;

/** Each payload's CloudEvents type, as the contract declares it (the event_type option), by oneof case. */
const EVENT_TYPES = new Map(
  OrderEventSchema.oneofs[0]!.fields.map((field) => {
    const type = field.message ? getOption(field.message, event_type) : "";
    if (!type) throw new Error(`${field.message?.typeName ?? field.name} declares no event_type`);
    return [field.localName, type];
  }),
);

function lineItemsOf(order: OrderView): MessageInitShape<typeof LineItemSchema>[] {
  return order.items.map((item) => ({
    itemId: item.id,
    productId: item.productId,
    sku: item.sku,
    name: item.name,
    quantity: item.quantity,
    ...linePricesToProto(storedLine(order.currency, item)),
    status: ItemStatusEvent[item.status],
    sellerId: item.sellerId,
    variantId: item.variantId,
    variantAttributes: item.variantAttributes,
  }));
}

function itemOf(order: OrderView, itemId: string) {
  const item = order.items.find((candidate) => candidate.id === itemId);
  if (!item) throw new Error(`event for item "${itemId}", which the order does not hold`);
  return item;
}

/** The payload of one event; `order` is the order after the whole change. */
function payloadOf(event: OrderEvent, order: OrderView): EventPayload {
  const amount = (minor: bigint) => toMoneyProto(money(order.currency, minor));
  switch (event.type) {
    case "OrderCreated": {
      const [year, month, day] = order.estimatedDeliveryDate.split("-").map(Number);
      // What consumers learn of a new order: lines and money, and the personal data fulfilment needs.
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
    case "OrderItemCreated": {
      const item = itemOf(order, event.itemId);
      return {
        case: "orderItemCreated",
        value: {
          itemId: item.id,
          sellerId: item.sellerId,
          productId: item.productId,
          variantId: item.variantId,
          sku: item.sku,
          name: item.name,
          quantity: item.quantity,
          unitPrice: amount(item.unitPriceMinor),
          variantAttributes: item.variantAttributes,
          status: ItemStatusEvent[item.status],
        },
      };
    }
    case "OrderStatusChanged":
      return {
        case: "orderStatusChanged",
        value: { fromStatus: OrderStatusEvent[event.from], toStatus: OrderStatusEvent[event.to], reason: event.reason },
      };
    case "OrderShipped":
      return { case: "orderShipped", value: { trackingNumber: event.trackingNumber, carrier: event.carrier } };
    case "OrderDelivered":
      return { case: "orderDelivered", value: {} };
    case "OrderCompleted":
      return { case: "orderCompleted", value: {} };
    case "OrderCancelled":
      return { case: "orderCancelled", value: { reason: event.reason, refunded: event.refunded } };
    case "OrderRefunded":
      return { case: "orderRefunded", value: { amount: toMoneyProto(event.amount), reason: event.reason } };
    case "OrderPaid":
      return { case: "orderPaid", value: { amount: toMoneyProto(event.amount) } };
    case "PaymentCaptured":
      return { case: "paymentCaptured", value: { amount: toMoneyProto(event.amount) } };
    case "AuthorizationAdjusted":
      return {
        case: "authorizationAdjusted",
        value: { change: toMoneyProto(event.change), held: toMoneyProto(event.held), reason: event.reason },
      };
    case "RefundIssued": {
      const { refund } = event;
      return {
        case: "refundIssued",
        value: {
          amount: amount(refund.amountMinor),
          cause: RefundCause[refund.cause],
          lines: refund.lines.map((line) => ({
            itemId: line.itemId,
            quantity: line.quantity,
            amount: amount(line.amountMinor),
            tax: amount(line.taxMinor),
          })),
          shipping: amount(refund.shippingMinor),
          tax: amount(refund.taxMinor),
          other: amount(BigInt(refund.breakdown.otherMinor)),
          reason: event.reason,
        },
      };
    }
    case "OrderPaymentFailed":
      return { case: "orderPaymentFailed", value: { declineCode: event.declineCode } };
    case "OrderItemsChanged":
      return {
        case: "orderItemsChanged",
        value: {
          items: lineItemsOf(order),
          subtotal: toMoneyProto(event.totals.subtotal),
          tax: toMoneyProto(event.totals.tax),
          shipping: toMoneyProto(event.totals.shipping),
        },
      };
    case "OrderItemStatusChanged": {
      const { sellerId, productId, variantId } = itemOf(order, event.itemId);
      return {
        case: "orderItemStatusChanged",
        value: {
          itemId: event.itemId,
          fromStatus: ItemStatusEvent[event.from],
          toStatus: ItemStatusEvent[event.to],
          sellerId,
          productId,
          variantId,
        },
      };
    }
    case "OrderUpdated":
      return { case: "orderUpdated", value: { changedFields: event.changedFields } };
    case "OrderDeleted":
      return { case: "orderDeleted", value: { reason: event.reason } };
  }
}

/**
 * The outbox records of a change's events. Call once the change is stored, so each envelope
 * carries the order's new status and version.
 */
export function outboxRecords(order: OrderView, events: readonly OrderEvent[], topic: string, at: Date): EventRecord[] {
  return recordsOf(
    order,
    events.map((event) => payloadOf(event, order)),
    topic,
    at,
  );
}

/** Payloads (the order's own, or its fulfilment's) in the order's envelope: its id as the key, its new status and version. */
export function recordsOf(order: OrderView, payloads: readonly EventPayload[], topic: string, at: Date): EventRecord[] {
  return payloads.map((payload) => {
    const eventId = newId();
    const message = create(OrderEventSchema, {
      eventId,
      occurTime: timestampFromDate(at),
      orderId: order.id,
      orderNumber: order.orderNumber,
      userId: order.userId,
      orderVersion: BigInt(order.version),
      status: OrderStatusEvent[order.status],
      total: toMoneyProto(money(order.currency, order.totalMinor)),
      payload,
    });
    return {
      eventId,
      topic,
      key: order.id,
      type: EVENT_TYPES.get(payload.case!)!,
      payload: toBinary(OrderEventSchema, message),
      occurredAt: at,
    };
  });
}

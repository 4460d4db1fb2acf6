import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  ItemStatus,
  OrderStatus as OrderStatusProto,
  PaymentMethodType,
  PaymentStatus,
  type BalanceSchema,
  type GetOrderStatusResponseSchema,
  type OrderSchema,
  type OrderItemSchema,
  type PaymentSchema,
  type StatusChangeSchema,
} from "../../../gen/shop/order/v1/order_pb.js";
import { balanceOf } from "../../ledger/domain/ledger.js";
import { money } from "../../money/money.js";
import { linePricesToProto, toMoneyProto } from "../../money/money-proto.js";
import { storedLine } from "../../money/totals.js";
import { partiallyShipped } from "../domain/order.js";
import { GUEST_PREFIX } from "../../platform/auth/capabilities.js";
import type { OrderItemView, OrderView, StatusChangeView } from "../domain/order.js";
import type { OrderStatus } from "../domain/order-status.js";

export function orderStatusToProto(status: OrderStatus): OrderStatusProto {
  return OrderStatusProto[status];
}

export function orderStatusFromProto(status: OrderStatusProto): OrderStatus | undefined {
  return status === OrderStatusProto.UNSPECIFIED ? undefined : (OrderStatusProto[status] as OrderStatus);
}

export function dateToProto(isoDate: string) {
  const [year, month, day] = isoDate.split("-").map(Number);
  return { year, month, day };
}

export function itemToProto(item: OrderItemView, currency: string): MessageInitShape<typeof OrderItemSchema> {
  return {
    id: item.id,
    productId: item.productId,
    sku: item.sku,
    name: item.name,
    quantity: item.quantity,
    ...linePricesToProto(storedLine(currency, item)),
    status: ItemStatus[item.status],
    imageUrl: item.imageUrl,
    sellerId: item.sellerId,
    variantId: item.variantId,
    variantAttributes: item.variantAttributes,
    shippedQuantity: item.shippedQuantity,
    deliveredQuantity: item.deliveredQuantity,
    refundedQuantity: item.refundedQuantity,
    returnedQuantity: item.returnedQuantity,
    refundedAmount: toMoneyProto(money(currency, item.refundedMinor)),
  };
}

export function statusChangeToProto(change: StatusChangeView): MessageInitShape<typeof StatusChangeSchema> {
  return {
    fromStatus: change.fromStatus ? OrderStatusProto[change.fromStatus] : OrderStatusProto.UNSPECIFIED,
    toStatus: OrderStatusProto[change.toStatus],
    changeTime: timestampFromDate(change.changedAt),
    actor: change.actor,
    reason: change.reason,
  };
}

export function paymentToProto(order: OrderView): MessageInitShape<typeof PaymentSchema> {
  return {
    method: PaymentMethodType[order.paymentMethod],
    status: PaymentStatus[order.paymentStatus],
    display: order.paymentDisplay,
    transactionId: order.paymentTransactionId,
    amount: toMoneyProto(money(order.currency, order.totalMinor)),
    failureReason: order.paymentFailureReason,
    updateTime: order.paymentUpdatedAt ? timestampFromDate(order.paymentUpdatedAt) : undefined,
  };
}

export function orderToProto(order: OrderView): MessageInitShape<typeof OrderSchema> {
  const amount = (minor: bigint) => toMoneyProto(money(order.currency, minor));
  return {
    id: order.id,
    orderNumber: order.orderNumber,
    userId: order.userId,
    customer: {
      email: order.customerEmail,
      firstName: order.customerFirstName,
      lastName: order.customerLastName,
      phone: order.customerPhone,
    },
    items: Array.from(order.items, (item) => itemToProto(item, order.currency)),
    shippingAddress: order.shippingAddress,
    payment: paymentToProto(order),
    status: orderStatusToProto(order.status),
    subtotal: amount(order.subtotalMinor),
    tax: amount(order.taxMinor),
    shipping: amount(order.shippingMinor),
    total: amount(order.totalMinor),
    notes: order.notes,
    trackingNumber: order.trackingNumber,
    carrier: order.carrier,
    estimatedDeliveryDate: dateToProto(order.estimatedDeliveryDate),
    cancelReason: order.cancelReason,
    version: BigInt(order.version),
    createTime: timestampFromDate(order.createdAt),
    updateTime: timestampFromDate(order.updatedAt),
    partiallyShipped: partiallyShipped(order),
    guest: order.userId.startsWith(GUEST_PREFIX),
    balance: balanceToProto(order),
  };
}

export function balanceToProto(order: OrderView): MessageInitShape<typeof BalanceSchema> {
  const amount = (minor: bigint) => toMoneyProto(money(order.currency, minor));
  const balance = balanceOf(order);
  return {
    authorized: amount(balance.authorizedMinor),
    captured: amount(balance.capturedMinor),
    refunded: amount(balance.refundedMinor),
    currentTotal: amount(balance.currentTotalMinor),
    outstanding: amount(balance.outstandingMinor),
    refundedShipping: amount(order.refundedShippingMinor),
    refundedTax: amount(order.refundedTaxMinor),
    voided: amount(balance.voidedMinor),
    due: amount(balance.dueMinor),
  };
}

/**
 * Who made a change, as someone other than staff may see it: their own id, or the role of whoever
 * else it was ("customer" for the order's buyer, otherwise "staff"); other people's ids are not
 * theirs to collect.
 */
function actorAs(viewerId: string, order: Pick<OrderView, "userId">, actor: string): string {
  if (actor === viewerId) return actor;
  return actor === order.userId ? "customer" : "staff";
}

/** A status change as `viewer` may see it: staff see every actor, anyone else as actorAs says. */
export function changeAsSeen(
  order: Pick<OrderView, "userId">,
  viewer: "staff" | { userId: string },
): (change: StatusChangeView) => MessageInitShape<typeof StatusChangeSchema> {
  return (change) =>
    viewer === "staff"
      ? statusChangeToProto(change)
      : { ...statusChangeToProto(change), actor: actorAs(viewer.userId, order, change.actor) };
}

/** Needs the history read. Staff see every actor; anyone else (`viewer`, the customer or seller asking) sees them as actorAs says. */
export function trackingToProto(
  order: OrderView,
  viewer: "staff" | { userId: string },
): MessageInitShape<typeof GetOrderStatusResponseSchema> {
  const shown = (change: StatusChangeView) =>
    viewer === "staff"
      ? statusChangeToProto(change)
      : { ...statusChangeToProto(change), actor: actorAs(viewer.userId, order, change.actor) };
  return {
    orderId: order.id,
    orderNumber: order.orderNumber,
    status: orderStatusToProto(order.status),
    paymentStatus: PaymentStatus[order.paymentStatus],
    history: Array.from(order.history ?? [], shown),
    trackingNumber: order.trackingNumber,
    carrier: order.carrier,
    estimatedDeliveryDate: dateToProto(order.estimatedDeliveryDate),
    items: Array.from(order.items, (item) => itemToProto(item, order.currency)),
  };
}

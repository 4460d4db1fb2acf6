import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Money } from "../../gen/shop/money/v1/money_pb.js";
import { FulfillmentOrderStatus, HoldReason, ShipmentStatus } from "../../gen/shop/order/v1/fulfillment_pb.js";
import { ItemStatus, OrderStatus, PaymentStatus } from "../../gen/shop/order/v1/order_pb.js";

export function money(value: Money | undefined): string {
  if (!value) return "–";
  const amount = Number(value.amountMinor) / 100;
  return new Intl.NumberFormat("en-US", { style: "currency", currency: value.currencyCode || "USD" }).format(amount);
}

/** UTC, minutes: the same on every operator's screen and in every screenshot. */
export function time(value: Timestamp | undefined): string {
  if (!value) return "–";
  return timestampDate(value).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

/** An enum name as words ("AWAITING_RECEIPT" is "Awaiting receipt"); `fallback` when there is none. */
export const words = (name: string | undefined, fallback = "Unknown") =>
  name ? name.charAt(0) + name.slice(1).toLowerCase().replaceAll("_", " ") : fallback;

export const orderStatus = (status: OrderStatus) => words(OrderStatus[status]);
export const itemStatus = (status: ItemStatus) => words(ItemStatus[status]);
export const fulfilmentStatus = (status: FulfillmentOrderStatus) => words(FulfillmentOrderStatus[status]);
export const holdReason = (reason: HoldReason) => words(HoldReason[reason]);
export const shipmentStatus = (status: ShipmentStatus) => words(ShipmentStatus[status]);
export const paymentStatus = (status: PaymentStatus | undefined) => words(status === undefined ? undefined : PaymentStatus[status]);

/** Every order status but UNSPECIFIED, in the order of the lifecycle. */
export const ORDER_STATUSES = [
  OrderStatus.PENDING,
  OrderStatus.CONFIRMED,
  OrderStatus.PAID,
  OrderStatus.PROCESSING,
  OrderStatus.SHIPPED,
  OrderStatus.DELIVERED,
  OrderStatus.CANCELLED,
  OrderStatus.REFUNDED,
];
export const ITEM_MOVES = [ItemStatus.PROCESSING, ItemStatus.SHIPPED, ItemStatus.DELIVERED, ItemStatus.CANCELLED];

export function attributes(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}: ${value}`)
    .join(", ");
}

/** The first block of a UUID: enough for an operator to tell a page's rows apart. */
export const shortId = (id: string) => id.slice(0, 8);

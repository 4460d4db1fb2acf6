import { defineEntity, p } from "@mikro-orm/core";
import { PAYMENT_METHODS } from "../payments/payment-method.js";
import { ORDER_STATUSES } from "./order-status.js";

export const ITEM_STATUSES = ["PENDING", "PROCESSING", "SHIPPED", "DELIVERED", "CANCELLED"] as const;
export const PAYMENT_STATUSES = ["PENDING", "AUTHORIZED", "CAPTURED", "FAILED", "REFUNDED"] as const;

export interface AddressData {
  line1: string;
  line2: string;
  city: string;
  state: string;
  postalCode: string;
  countryCode: string;
}

const OrderSchema = defineEntity({
  name: "Order",
  tableName: "orders",
  properties: {
    id: p.uuid().primary(),
    orderNumber: p.string().unique(),
    userId: p.string().index(),
    customerEmail: p.string().index(),
    customerFirstName: p.string(),
    customerLastName: p.string(),
    customerPhone: p.string().default(""),
    shippingAddress: p.json<AddressData>(),
    status: p.enum(ORDER_STATUSES),
    paymentMethod: p.enum(PAYMENT_METHODS),
    paymentDisplay: p.string().default(""),
    paymentStatus: p.enum(PAYMENT_STATUSES),
    paymentTransactionId: p.string().default(""),
    paymentFailureReason: p.string().default(""),
    paymentUpdatedAt: p.datetime().nullable(),
    currency: p.string().length(3),
    subtotalMinor: p.bigint(),
    taxMinor: p.bigint(),
    shippingMinor: p.bigint(),
    totalMinor: p.bigint(),
    notes: p.text().default(""),
    trackingNumber: p.string().default(""),
    carrier: p.string().default(""),
    estimatedDeliveryDate: p.string().length(10),
    cancelReason: p.string().default(""),
    reservationId: p.string(),
    version: p.integer().version(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    deletedAt: p.datetime().nullable(),
    items: () => p.oneToMany(OrderItem).mappedBy("order").orderBy({ position: "asc" }),
    history: () => p.oneToMany(OrderStatusChange).mappedBy("order").orderBy({ id: "asc" }),
  },
});
export class Order extends OrderSchema.class {}
OrderSchema.setClass(Order);

const OrderItemSchema = defineEntity({
  name: "OrderItem",
  tableName: "order_items",
  properties: {
    id: p.uuid().primary(),
    order: () => p.manyToOne(Order).deleteRule("cascade"),
    position: p.integer(),
    productId: p.string(),
    sku: p.string(),
    name: p.string(),
    imageUrl: p.string().default(""),
    quantity: p.integer(),
    unitPriceMinor: p.bigint(),
    status: p.enum(ITEM_STATUSES),
  },
});
export class OrderItem extends OrderItemSchema.class {}
OrderItemSchema.setClass(OrderItem);

const OrderStatusChangeSchema = defineEntity({
  name: "OrderStatusChange",
  tableName: "order_status_history",
  properties: {
    id: p.bigint().primary().autoincrement(),
    order: () => p.manyToOne(Order).deleteRule("cascade"),
    fromStatus: p.enum(ORDER_STATUSES).nullable(),
    toStatus: p.enum(ORDER_STATUSES),
    changedAt: p.datetime(),
    actor: p.string(),
    reason: p.string().default(""),
  },
});
export class OrderStatusChange extends OrderStatusChangeSchema.class {}
OrderStatusChangeSchema.setClass(OrderStatusChange);

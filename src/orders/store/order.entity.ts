import { defineEntity, p } from "@mikro-orm/core";
import type { Check, Fields, Holds } from "../../db/fields.js";
import type { PaymentTrail } from "../../ledger/domain/payment-trail.js";
import { PAYMENT_METHODS } from "../../payments/payment-method.js";
import { ITEM_STATUSES } from "../domain/item-status.js";
import {
  PAYMENT_STATUSES,
  type AddressData,
  type OrderFields,
  type OrderItemFields,
  type StatusChangeFields,
} from "../domain/order-data.js";
import { ORDER_STATUSES } from "../domain/order-status.js";

/*
 * The order's tables, as MikroORM maps them: the one listing of their columns besides the
 * migrations (test/ops/schema-drift.test.ts holds the two together). They hold exactly the domain's
 * data (domain/order-data.ts): the check at the end fails to compile when the two differ.
 */
const OrderSchema = defineEntity({
  name: "Order",
  tableName: "orders",
  properties: {
    id: p.uuid().primary(),
    orderNumber: p.string().length(32).unique(),
    userId: p.string(),
    customerEmail: p.string().length(320),
    customerFirstName: p.string(),
    customerLastName: p.string(),
    customerPhone: p.string().length(16).default(""),
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
    authorizedMinor: p.bigint().default(0),
    capturedMinor: p.bigint().default(0),
    refundedMinor: p.bigint().default(0),
    creditedMinor: p.bigint().default(0),
    refundedShippingMinor: p.bigint().default(0),
    refundedTaxMinor: p.bigint().default(0),
    voidedMinor: p.bigint().default(0),
    paymentTrail: p.json<PaymentTrail>(),
    ledgerEntries: p.integer().default(0),
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
    items: () => p.oneToMany(OrderItemRow).mappedBy("order").orderBy({ position: "asc" }),
    history: () => p.oneToMany(StatusChangeRow).mappedBy("order").orderBy({ id: "asc" }),
  },
  // ListOrders pages newest first through these keysets; deleted orders are never listed.
  indexes: [
    {
      name: "orders_created_keyset",
      expression: `create index "orders_created_keyset" on "orders" ("created_at" desc, "id" desc) where "deleted_at" is null`,
    },
    {
      name: "orders_user_keyset",
      expression: `create index "orders_user_keyset" on "orders" ("user_id", "created_at" desc, "id" desc) where "deleted_at" is null`,
    },
    {
      name: "orders_email_keyset",
      expression: `create index "orders_email_keyset" on "orders" ("customer_email", "created_at" desc, "id" desc) where "deleted_at" is null`,
    },
  ],
});
export class OrderRow extends OrderSchema.class {}
OrderSchema.setClass(OrderRow);

const OrderItemSchema = defineEntity({
  name: "OrderItem",
  tableName: "order_items",
  properties: {
    id: p.uuid().primary(),
    order: () => p.manyToOne(OrderRow).deleteRule("cascade"),
    position: p.integer(),
    productId: p.string(),
    sku: p.string(),
    name: p.string(),
    imageUrl: p.string().length(1024).default(""),
    quantity: p.integer(),
    unitPriceMinor: p.bigint(),
    taxMinor: p.bigint().default(0),
    status: p.enum(ITEM_STATUSES),
    sellerId: p.string().default(""),
    variantId: p.string().default(""),
    variantAttributes: p.json<Record<string, string>>().default("{}"),
    shippedQuantity: p.integer().default(0),
    deliveredQuantity: p.integer().default(0),
    returnedQuantity: p.integer().default(0),
    refundedQuantity: p.integer().default(0),
    refundedMinor: p.bigint().default(0),
  },
  indexes: [
    { name: "order_items_order_id", properties: ["order"] },
    // A seller's orders are found through its items.
    { name: "order_items_seller_id", properties: ["sellerId", "order"] },
  ],
  checks: [
    { name: "order_items_quantity_check", expression: "quantity > 0" },
    { name: "order_items_unit_price_minor_check", expression: "unit_price_minor >= 0" },
  ],
});
export class OrderItemRow extends OrderItemSchema.class {}
OrderItemSchema.setClass(OrderItemRow);

const OrderStatusChangeSchema = defineEntity({
  name: "OrderStatusChange",
  tableName: "order_status_history",
  properties: {
    id: p.bigint().primary().autoincrement(),
    order: () => p.manyToOne(OrderRow).deleteRule("cascade"),
    fromStatus: p.enum(ORDER_STATUSES).nullable(),
    toStatus: p.enum(ORDER_STATUSES),
    changedAt: p.datetime(),
    actor: p.string(),
    reason: p.string().length(1024).default(""),
  },
  indexes: [{ name: "order_status_history_order_id", properties: ["order"] }],
});
export class StatusChangeRow extends OrderStatusChangeSchema.class {}
OrderStatusChangeSchema.setClass(StatusChangeRow);

/** Compile-time only: fails to compile when a table and the domain's data differ. */
export type TablesHoldTheDomain = [
  Check<Holds<Fields<OrderRow, "items" | "history">, OrderFields>>,
  Check<Holds<Fields<OrderItemRow, "order">, OrderItemFields>>,
  Check<Holds<Fields<StatusChangeRow, "order" | "id">, StatusChangeFields>>,
];

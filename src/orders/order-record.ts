import type { PaymentMethodType } from "../payments/payment-method.js";
import type { AddressData, ITEM_STATUSES, PAYMENT_STATUSES } from "./order.entity.js";
import type { OrderStatus } from "./order-status.js";

/**
 * An order as data: what the mappers read. The MikroORM entity satisfies it (changes go through
 * the entity), and so do the rows of the hot paths' plain SQL (reads and placing an order).
 */
export interface OrderItemRecord {
  readonly id: string;
  readonly productId: string;
  readonly sku: string;
  readonly name: string;
  readonly imageUrl: string;
  readonly quantity: number;
  readonly unitPriceMinor: bigint;
  readonly status: (typeof ITEM_STATUSES)[number];
}

export interface StatusChangeRecord {
  readonly fromStatus?: OrderStatus | null;
  readonly toStatus: OrderStatus;
  readonly changedAt: Date;
  readonly actor: string;
  readonly reason: string;
}

export interface OrderRecord {
  readonly id: string;
  readonly orderNumber: string;
  readonly userId: string;
  readonly customerEmail: string;
  readonly customerFirstName: string;
  readonly customerLastName: string;
  readonly customerPhone: string;
  readonly shippingAddress: AddressData;
  readonly status: OrderStatus;
  readonly paymentMethod: PaymentMethodType;
  readonly paymentDisplay: string;
  readonly paymentStatus: (typeof PAYMENT_STATUSES)[number];
  readonly paymentTransactionId: string;
  readonly paymentFailureReason: string;
  readonly paymentUpdatedAt?: Date | null;
  readonly currency: string;
  readonly subtotalMinor: bigint;
  readonly taxMinor: bigint;
  readonly shippingMinor: bigint;
  readonly totalMinor: bigint;
  readonly notes: string;
  readonly trackingNumber: string;
  readonly carrier: string;
  readonly estimatedDeliveryDate: string;
  readonly cancelReason: string;
  readonly reservationId: string;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly items: Iterable<OrderItemRecord>;
  /** Only where the status history was read (GetOrderStatus). */
  readonly history?: Iterable<StatusChangeRecord>;
}

import type { PaymentTrail } from "../../ledger/domain/payment-trail.js";
import type { PaymentMethodType } from "../../payments/payment-method.js";
import type { ItemStatus } from "./item-status.js";
import type { OrderStatus } from "./order-status.js";

export const PAYMENT_STATUSES = ["PENDING", "AUTHORIZED", "CAPTURED", "FAILED", "REFUNDED"] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export interface AddressData {
  line1: string;
  line2: string;
  city: string;
  state: string;
  postalCode: string;
  countryCode: string;
}

/**
 * What an order is, as plain data: the aggregate's state and what readers get. The tables
 * (store/order.entity.ts) must hold exactly these fields; a compile-time check there says so.
 */
export interface OrderFields {
  id: string;
  orderNumber: string;
  userId: string;
  customerEmail: string;
  customerFirstName: string;
  customerLastName: string;
  customerPhone: string;
  shippingAddress: AddressData;
  status: OrderStatus;
  paymentMethod: PaymentMethodType;
  paymentDisplay: string;
  paymentStatus: PaymentStatus;
  paymentTransactionId: string;
  paymentFailureReason: string;
  paymentUpdatedAt: Date | null;
  currency: string;
  subtotalMinor: bigint;
  taxMinor: bigint;
  shippingMinor: bigint;
  totalMinor: bigint;
  /** Running sums of the money ledger (ledger/): what it holds in rows, summed. */
  authorizedMinor: bigint;
  capturedMinor: bigint;
  refundedMinor: bigint;
  /** What the order no longer costs: refunds that lowered its price. */
  creditedMinor: bigint;
  refundedShippingMinor: bigint;
  refundedTaxMinor: bigint;
  /** Released from authorizations without being captured. */
  voidedMinor: bigint;
  /** Each authorization and capture, and what was taken or given back of it (ledger/domain/payment-trail.ts). */
  paymentTrail: PaymentTrail;
  /** Rows in the order's ledger: the next one's position, and the cap. */
  ledgerEntries: number;
  notes: string;
  trackingNumber: string;
  carrier: string;
  estimatedDeliveryDate: string;
  cancelReason: string;
  reservationId: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

export interface OrderItemFields {
  id: string;
  position: number;
  productId: string;
  sku: string;
  name: string;
  imageUrl: string;
  quantity: number;
  unitPriceMinor: bigint;
  /** The line's share of the order's tax, fixed when the line was priced (money/refunds.ts, lineTaxes). */
  taxMinor: bigint;
  status: ItemStatus;
  sellerId: string;
  variantId: string;
  variantAttributes: Record<string, string>;
  /** Units in shipments handed to a carrier (fulfilment follows them, fulfilment/). */
  shippedQuantity: number;
  /** Units in delivered shipments. */
  deliveredQuantity: number;
  /** Units the customer no longer has to give back: returns confirmed, claims. */
  returnedQuantity: number;
  /** Units given back (the first ones: money/refunds.ts), and what they cost with their tax. */
  refundedQuantity: number;
  refundedMinor: bigint;
}

export interface StatusChangeFields {
  fromStatus: OrderStatus | null;
  toStatus: OrderStatus;
  changedAt: Date;
  actor: string;
  reason: string;
}

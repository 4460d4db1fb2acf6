import { FailedPreconditionError } from "../platform/domain-errors.js";
import { toMoneyProto } from "../money/money-proto.js";
import { money } from "../money/money.js";
import { cancelOpenItems, moveTo } from "./order-lifecycle.js";
import type { ChangeOutcome, MutationContext } from "./order-mutation.js";
import { refundCapturedPayment } from "./order-payment.js";
import type { Order } from "./order.entity.js";

/** Statuses in which the goods are still in the warehouse, held by the order's reservation. */
const STOCK_HELD = ["PENDING", "CONFIRMED", "PAID", "PROCESSING"] as const;

/**
 * Before shipping only (the table says so). Releases the reservation and refunds a captured
 * payment; both calls are idempotent, so a retried request does neither twice.
 */
export async function cancelOrder(order: Order, reason: string, context: MutationContext): Promise<ChangeOutcome> {
  const statusChanged = moveTo(order, "CANCELLED", context, reason);
  const refunded = await refundCapturedPayment(order, context);
  await context.deps.inventory.release(order.reservationId, context.signal);
  cancelOpenItems(order);
  order.cancelReason = reason;
  return { events: [statusChanged, { case: "orderCancelled", value: { reason, refunded } }] };
}

/**
 * Gives the captured payment back. Goods not yet shipped go back to stock; shipped goods come
 * back through returns, which are not this service's.
 */
export async function refundOrder(order: Order, reason: string, context: MutationContext): Promise<ChangeOutcome> {
  const stockHeld = (STOCK_HELD as readonly string[]).includes(order.status);
  const statusChanged = moveTo(order, "REFUNDED", context, reason);
  if (order.paymentStatus !== "CAPTURED") {
    throw new FailedPreconditionError("NOTHING_TO_REFUND", `the payment is ${order.paymentStatus}, nothing was captured; cancel the order instead`, [
      { type: "PAYMENT", subject: `orders/${order.id}`, description: `payment is ${order.paymentStatus}` },
    ]);
  }
  await refundCapturedPayment(order, context);
  if (stockHeld) await context.deps.inventory.release(order.reservationId, context.signal);
  cancelOpenItems(order);
  const amount = toMoneyProto(money(order.currency, order.totalMinor));
  return { events: [statusChanged, { case: "orderRefunded", value: { amount, reason } }] };
}

import { money } from "../money/money.js";
import type { PaymentMethod } from "../payments/payment-method.js";
import { FailedPreconditionError, InvalidArgumentError } from "../platform/domain-errors.js";
import { canTransition } from "./order-status.js";
import { moveTo } from "./order-lifecycle.js";
import { paymentToProto } from "./order-mapper.js";
import type { ChangeOutcome, MutationContext } from "./order-mutation.js";
import type { EventPayload } from "./order-events.js";
import type { Order } from "./order.entity.js";

export class PaymentDeclinedError extends FailedPreconditionError {
  constructor(declineCode: string, message: string) {
    super("PAYMENT_DECLINED", `payment declined: ${message}`, [{ type: "PAYMENT", subject: "payment", description: declineCode }]);
  }
}

/**
 * Authorizes and captures the total. Approved: payment CAPTURED and, where the table allows, the
 * order becomes PAID. Declined: the attempt is kept (payment FAILED, reason, event) and the call
 * fails with PAYMENT_DECLINED. A capture whose transaction does not commit is refunded.
 */
export async function payOrder(order: Order, method: PaymentMethod, idempotencyKey: string, context: MutationContext): Promise<ChangeOutcome> {
  if (order.status === "CANCELLED" || order.status === "REFUNDED") {
    throw new FailedPreconditionError("ORDER_CLOSED", `the order is ${order.status} and cannot be paid`);
  }
  if (order.paymentStatus === "CAPTURED" || order.paymentStatus === "AUTHORIZED" || order.paymentStatus === "REFUNDED") {
    throw new FailedPreconditionError("ALREADY_PAID", `the payment is already ${order.paymentStatus}`);
  }
  const amount = money(order.currency, order.totalMinor);
  const outcome = await context.deps.payments.charge({ idempotencyKey, orderId: order.id, amount, method }, context.signal);
  order.paymentMethod = method.type;
  order.paymentDisplay = method.display;
  order.paymentUpdatedAt = context.now;
  if (!outcome.approved) {
    order.paymentStatus = "FAILED";
    order.paymentFailureReason = outcome.declineCode;
    return {
      events: [{ case: "orderPaymentFailed", value: { payment: paymentToProto(order) } }],
      failAfterCommit: new PaymentDeclinedError(outcome.declineCode, outcome.message),
    };
  }
  context.onRollback((signal) =>
    context.deps.payments.refund({ idempotencyKey: `undo:${idempotencyKey}`, transactionId: outcome.transactionId, amount }, signal).then(() => undefined),
  );
  order.paymentStatus = "CAPTURED";
  order.paymentTransactionId = outcome.transactionId;
  order.paymentFailureReason = "";
  const events: EventPayload[] = [];
  if (canTransition(order.status, "PAID")) events.push(moveTo(order, "PAID", context, "payment captured"));
  events.push({ case: "orderPaid", value: { payment: paymentToProto(order) } });
  return { events };
}

/** Refunds the whole captured amount, once per order whatever the path (cancel or refund). */
export async function refundCapturedPayment(order: Order, context: MutationContext): Promise<boolean> {
  if (order.paymentStatus !== "CAPTURED") return false;
  await context.deps.payments.refund(
    { idempotencyKey: `refund:${order.id}`, transactionId: order.paymentTransactionId, amount: money(order.currency, order.totalMinor) },
    context.signal,
  );
  order.paymentStatus = "REFUNDED";
  order.paymentUpdatedAt = context.now;
  return true;
}

/** Card numbers are never stored, so paying by card needs the card again; other methods reuse what was given at placement. */
export function paymentMethodFor(order: Order, given: PaymentMethod | undefined): PaymentMethod {
  if (given) return given;
  if (order.paymentMethod === "CARD") {
    throw new InvalidArgumentError([{ field: "payment_method", description: "card details are required to pay by card: card numbers are never stored" }]);
  }
  return { type: order.paymentMethod, display: order.paymentDisplay };
}

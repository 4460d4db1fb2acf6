import { money } from "../money/money.js";
import type { PaymentMethod } from "../payments/payment-method.js";
import { FailedPreconditionError, InvalidArgumentError } from "../platform/domain-errors.js";
import { canTransition } from "./order-status.js";
import { moveTo } from "./order-lifecycle.js";
import { toMoneyProto } from "../money/money-proto.js";
import type { ChangeOutcome, MutationContext } from "./order-mutation.js";
import type { EventPayload } from "./order-events.js";
import type { Order } from "./order.entity.js";

export class PaymentDeclinedError extends FailedPreconditionError {
  constructor(declineCode: string, message: string) {
    super("PAYMENT_DECLINED", `payment declined: ${message}`, [{ type: "PAYMENT", subject: "payment", description: declineCode }]);
  }
}

/**
 * Authorizes and captures the total through the Payment service. Approved: payment CAPTURED and,
 * where the table allows, the order becomes PAID. Declined: the attempt is kept (payment FAILED,
 * reason, event) and the call fails with PAYMENT_DECLINED. A hold or capture whose transaction
 * does not commit is voided or refunded.
 */
export async function payOrder(order: Order, method: PaymentMethod, idempotencyKey: string, context: MutationContext): Promise<ChangeOutcome> {
  if (order.status === "CANCELLED" || order.status === "REFUNDED") {
    throw new FailedPreconditionError("ORDER_CLOSED", `the order is ${order.status} and cannot be paid`);
  }
  if (order.paymentStatus === "CAPTURED" || order.paymentStatus === "AUTHORIZED" || order.paymentStatus === "REFUNDED") {
    throw new FailedPreconditionError("ALREADY_PAID", `the payment is already ${order.paymentStatus}`);
  }
  if (method.type === "CARD" && !method.token) {
    throw new InvalidArgumentError([{ field: "payment_method.card.payment_token", description: "is required to pay by card: tokens are single use and never stored" }]);
  }
  const amount = money(order.currency, order.totalMinor);
  const { payments } = context.deps;
  const authorization = await payments.authorize({ idempotencyKey, orderId: order.id, amount, method }, context.signal);
  order.paymentMethod = method.type;
  order.paymentDisplay = method.display;
  order.paymentUpdatedAt = context.now;
  if (!authorization.approved) {
    order.paymentStatus = "FAILED";
    order.paymentFailureReason = authorization.declineCode;
    return {
      events: [{ case: "orderPaymentFailed", value: { declineCode: authorization.declineCode } }],
      failAfterCommit: new PaymentDeclinedError(authorization.declineCode, authorization.message),
    };
  }
  // Whatever stops the change from committing gives the money back: the hold is voided, or the capture refunded.
  let transactionId: string | undefined;
  context.onRollback(async (signal) => {
    if (transactionId) await payments.refund({ idempotencyKey: `undo:${idempotencyKey}`, transactionId, amount }, signal);
    else await payments.void({ idempotencyKey: `void:${idempotencyKey}`, authorizationId: authorization.authorizationId }, signal);
  });
  ({ transactionId } = await payments.capture({ idempotencyKey: `capture:${idempotencyKey}`, authorizationId: authorization.authorizationId, amount }, context.signal));
  order.paymentStatus = "CAPTURED";
  order.paymentTransactionId = transactionId;
  order.paymentFailureReason = "";
  const events: EventPayload[] = [];
  if (canTransition(order.status, "PAID")) events.push(moveTo(order, "PAID", context, "payment captured"));
  events.push({ case: "orderPaid", value: { amount: toMoneyProto(amount) } });
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

/** Card tokens are single use and never stored, so paying by card needs a new token; other methods reuse what was given at placement. */
export function paymentMethodFor(order: Order, given: PaymentMethod | undefined): PaymentMethod {
  if (given) return given;
  if (order.paymentMethod === "CARD") {
    throw new InvalidArgumentError([{ field: "payment_method", description: "a card payment needs a new payment_token: tokens are single use and never stored" }]);
  }
  return { type: order.paymentMethod, display: order.paymentDisplay };
}

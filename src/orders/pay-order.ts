import type { PaymentMethod } from "../payments/payment-method.js";
import { FailedPreconditionError } from "../platform/errors/domain-errors.js";
import type { ChangeOutcome, MutationContext } from "./mutate-order.js";
import type { Order } from "./domain/order.js";

export class PaymentDeclinedError extends FailedPreconditionError {
  constructor(declineCode: string, message: string) {
    super("PAYMENT_DECLINED", `payment declined: ${message}`, [{ type: "PAYMENT", subject: "payment", description: declineCode }]);
  }
}

/**
 * Authorizes what is due (the whole order, or a difference after an edit or an exchange), and
 * captures it unless CAPTURE_ON=shipment (then parcels capture: Order.settlePayment). Approved: the
 * order records it. Declined: the attempt is kept (payment FAILED, reason, event) and the call fails
 * with PAYMENT_DECLINED. A hold or capture whose transaction does not commit is voided or refunded.
 */
export async function payOrder(
  order: Order,
  given: PaymentMethod | undefined,
  idempotencyKey: string,
  context: MutationContext,
): Promise<ChangeOutcome> {
  const method = order.paymentMethod(given);
  order.checkPayable(method);
  const amount = order.amountDue;
  const { payments, captureOn } = context.deps;
  const authorization = await payments.authorize({ idempotencyKey, orderId: order.id, amount, method }, context.signal);
  if (!authorization.approved) {
    order.paymentDeclined(method, authorization.declineCode, { idempotencyKey, amount }, context.by);
    return { failAfterCommit: new PaymentDeclinedError(authorization.declineCode, authorization.message) };
  }
  // Whatever stops the change from committing gives the money back: the hold is voided, or the capture refunded.
  const captured: { transactionId?: string } = {};
  context.onRollback(async (signal) => {
    const { transactionId } = captured;
    if (transactionId) await payments.refund({ idempotencyKey: `undo:${idempotencyKey}`, transactionId, amount }, signal);
    else await payments.void({ idempotencyKey: `void:${idempotencyKey}`, authorizationId: authorization.authorizationId }, signal);
  });
  const { authorizationId } = authorization;
  let capture: { transactionId: string; captureKey: string } | undefined;
  if (captureOn === "payment") {
    const captureKey = `capture:${idempotencyKey}`;
    captured.transactionId = (
      await payments.capture({ idempotencyKey: captureKey, authorizationId, amount }, context.signal)
    ).transactionId;
    capture = { transactionId: captured.transactionId, captureKey };
  }
  order.paymentAuthorized(method, { authorizationId, authorizeKey: idempotencyKey, amount, ...(capture ? { capture } : {}) }, context.by);
  // Shippable from now on, with nobody having to release it.
  for (const fulfilment of await context.fulfilment()) fulfilment.releasePaymentHold(context.by);
  return {};
}

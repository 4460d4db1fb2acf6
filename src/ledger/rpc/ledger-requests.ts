import { RefundCause, type IssueRefundRequest } from "../../../gen/shop/order/v1/ledger_pb.js";
import { changeTargetOf, REASON, type ChangeTarget } from "../../orders/rpc/requests/field-rules.js";
import { Violations } from "../../platform/validation.js";

export interface IssueRefundCommand extends ChangeTarget {
  readonly cause: "SHIPPING" | "GOODWILL";
  readonly amountMinor?: bigint;
  readonly reason: string;
}

/** Staff's refund not tied to items: the cause, an amount in the shop's currency, and why. */
export function parseIssueRefund(request: IssueRefundRequest, currency: string): IssueRefundCommand {
  const v = new Violations();
  const target = changeTargetOf(request, v);
  const cause = request.cause === RefundCause.SHIPPING ? "SHIPPING" : request.cause === RefundCause.GOODWILL ? "GOODWILL" : undefined;
  v.check(
    cause !== undefined,
    "cause",
    "must be REFUND_CAUSE_SHIPPING or REFUND_CAUSE_GOODWILL; items are refunded through returns and claims",
  );
  const { amount } = request;
  if (amount) {
    v.check(amount.currencyCode === currency, "amount.currency_code", `must be ${currency}`);
    v.check(amount.amountMinor > 0n, "amount.amount_minor", "must be above zero");
  } else v.check(cause !== "GOODWILL", "amount", "is required for a goodwill refund");
  const reason = v.text("reason", request.reason, { ...REASON, min: 1 });
  v.throwIfAny();
  return { ...target, cause: cause!, reason, ...(amount ? { amountMinor: amount.amountMinor } : {}) };
}

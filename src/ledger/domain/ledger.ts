import { lineTaxes, unitsRefund } from "../../money/refunds.js";
import { FailedPreconditionError, InvalidArgumentError } from "../../platform/errors/domain-errors.js";
import type { RefundBreakdown, RefundCause } from "./ledger-data.js";

/*
 * The order's money, from its running sums (kept on the order beside the ledger's rows): pure
 * rules for what is outstanding and what a refund may give back, in integer minor units.
 */

/** The order's running sums of its ledger, and what it costs. */
export interface MoneyState {
  readonly totalMinor: bigint;
  readonly shippingMinor: bigint;
  readonly taxMinor: bigint;
  /** What the order no longer costs: refunds that lowered its price (whole order, returns, shipping, goodwill). */
  readonly creditedMinor: bigint;
  readonly authorizedMinor: bigint;
  readonly capturedMinor: bigint;
  readonly refundedMinor: bigint;
  readonly refundedShippingMinor: bigint;
}

export interface MoneyLine {
  readonly id: string;
  readonly unitPriceMinor: bigint;
  readonly quantity: number;
  readonly refundedQuantity: number;
}

export interface Balance {
  readonly authorizedMinor: bigint;
  readonly capturedMinor: bigint;
  readonly refundedMinor: bigint;
  /** The total less what it no longer costs. */
  readonly currentTotalMinor: bigint;
  /** Current total less net captured: above zero the customer owes, below zero the shop does. */
  readonly outstandingMinor: bigint;
}

export function balanceOf(state: MoneyState): Balance {
  const currentTotalMinor = state.totalMinor - state.creditedMinor;
  return {
    authorizedMinor: state.authorizedMinor,
    capturedMinor: state.capturedMinor,
    refundedMinor: state.refundedMinor,
    currentTotalMinor,
    outstandingMinor: currentTotalMinor - (state.capturedMinor - state.refundedMinor),
  };
}

/** What can still be given back: captured less refunded. Never more, whatever the cause. */
export function refundableMinor(state: MoneyState): bigint {
  return state.capturedMinor - state.refundedMinor;
}

/** A refund worked out: the amount, its parts, and what the order no longer costs because of it. */
export interface RefundPlan {
  readonly cause: RefundCause;
  readonly amountMinor: bigint;
  readonly breakdown: RefundBreakdown;
  /** Units of each line given back by it. */
  readonly lines: readonly {
    readonly itemId: string;
    readonly quantity: number;
    readonly amountMinor: bigint;
    readonly taxMinor: bigint;
  }[];
  readonly shippingMinor: bigint;
  readonly taxMinor: bigint;
  readonly creditMinor: bigint;
}

export class NothingToRefundError extends FailedPreconditionError {
  constructor(orderId: string, what: string) {
    super("NOTHING_TO_REFUND", `nothing to refund: ${what}`, [{ type: "PAYMENT", subject: `orders/${orderId}`, description: what }]);
  }
}

export class RefundTooLargeError extends FailedPreconditionError {
  constructor(orderId: string, asked: bigint, limit: bigint, what: string) {
    super("REFUND_EXCEEDS_CAPTURED", `cannot refund ${asked}: at most ${limit} (${what})`, [
      { type: "PAYMENT", subject: `orders/${orderId}`, description: `at most ${limit} can be refunded (${what})` },
    ]);
  }
}

/**
 * The whole order given back (cancel or refund): every unit not yet refunded at what it cost,
 * the shipping not yet refunded, and, netted out, goodwill given before, so that the amount is
 * exactly what is left of the capture. The order then costs nothing.
 */
export function wholeOrderRefund(state: MoneyState, lines: readonly MoneyLine[]): RefundPlan {
  const taxes = lineTaxes(lines, state.taxMinor);
  const given = lines.flatMap((line, i) => {
    const quantity = line.quantity - line.refundedQuantity;
    return quantity > 0 ? [{ itemId: line.id, quantity, ...unitsRefund(line, taxes[i]!, quantity) }] : [];
  });
  const amountMinor = refundableMinor(state);
  const shippingMinor = state.shippingMinor - state.refundedShippingMinor;
  return plan("ORDER", amountMinor, given, shippingMinor, state.totalMinor - state.creditedMinor);
}

/**
 * Units of items given back (a return received, a claim): each at its price plus its share of the
 * tax, the next units of its line (money/refunds.ts). The order no longer charges for them; the
 * money going back is that, but never more than captured less refunded (an unpaid order, or one
 * given goodwill before, gets back less: `other` in the breakdown says how much less).
 */
export function unitsRefundPlan(
  orderId: string,
  state: MoneyState,
  lines: readonly MoneyLine[],
  picks: readonly { readonly itemId: string; readonly quantity: number }[],
  cause: "RETURN" | "CLAIM",
): RefundPlan {
  const taxes = lineTaxes(lines, state.taxMinor);
  const refunded = new Map(lines.map((line) => [line.id, line.refundedQuantity]));
  const given = picks.map((pick) => {
    const i = lines.findIndex((line) => line.id === pick.itemId);
    const line = lines[i];
    if (!line) throw new Error(`unitsRefundPlan: no line ${pick.itemId}`);
    const before = refunded.get(line.id)!;
    if (before + pick.quantity > line.quantity)
      throw new NothingToRefundError(orderId, `item ${line.id} has ${line.quantity - before} units left to refund`);
    refunded.set(line.id, before + pick.quantity);
    return { itemId: line.id, quantity: pick.quantity, ...unitsRefund({ ...line, refundedQuantity: before }, taxes[i]!, pick.quantity) };
  });
  const value = given.reduce((sum, line) => sum + line.amountMinor, 0n);
  // The units are no longer charged for; what goes back is at most what is left of the capture.
  const refundable = refundableMinor(state);
  return plan(cause, value < refundable ? value : refundable, given, 0n, value);
}

/**
 * Staff's refund not tied to items: SHIPPING gives back shipping not yet refunded (all of it
 * unless `amountMinor` says less), GOODWILL the amount given. Either lowers what the order costs
 * and is never more than what is left of the capture.
 */
export function amountRefund(
  orderId: string,
  state: MoneyState,
  cause: "SHIPPING" | "GOODWILL",
  amountMinor: bigint | undefined,
): RefundPlan {
  const refundable = refundableMinor(state);
  if (refundable <= 0n) throw new NothingToRefundError(orderId, "nothing captured is left to give back");
  const shippingLeft = state.shippingMinor - state.refundedShippingMinor;
  if (cause === "SHIPPING" && shippingLeft <= 0n) throw new NothingToRefundError(orderId, "shipping was free or is already refunded");
  const amount = amountMinor ?? (cause === "SHIPPING" ? shippingLeft : undefined);
  if (amount === undefined) throw new InvalidArgumentError([{ field: "amount", description: "is required for a goodwill refund" }]);
  if (amount <= 0n) throw new InvalidArgumentError([{ field: "amount", description: "must be above zero" }]);
  if (cause === "SHIPPING" && amount > shippingLeft)
    throw new RefundTooLargeError(orderId, amount, shippingLeft, "shipping not yet refunded");
  if (amount > refundable) throw new RefundTooLargeError(orderId, amount, refundable, "captured less already refunded");
  return cause === "SHIPPING" ? plan(cause, amount, [], amount, amount) : plan(cause, amount, [], 0n, amount);
}

function plan(cause: RefundCause, amountMinor: bigint, lines: RefundPlan["lines"], shippingMinor: bigint, creditMinor: bigint): RefundPlan {
  const linesMinor = lines.reduce((sum, line) => sum + line.amountMinor, 0n);
  const taxMinor = lines.reduce((sum, line) => sum + line.taxMinor, 0n);
  const otherMinor = amountMinor - linesMinor - shippingMinor;
  const breakdown: RefundBreakdown = {
    lines: lines.map((line) => ({
      itemId: line.itemId,
      quantity: line.quantity,
      amountMinor: String(line.amountMinor),
      taxMinor: String(line.taxMinor),
    })),
    shippingMinor: String(shippingMinor),
    taxMinor: String(taxMinor),
    otherMinor: String(otherMinor),
  };
  return { cause, amountMinor, breakdown, lines, shippingMinor, taxMinor, creditMinor };
}

import { unitsRefund } from "../../money/refunds.js";
import { FailedPreconditionError, InvalidArgumentError } from "../../platform/errors/domain-errors.js";
import type { RefundBreakdown, RefundCause } from "./ledger-data.js";
import { openMinor, type PaymentTrail } from "./payment-trail.js";

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
  readonly voidedMinor: bigint;
  readonly paymentTrail: PaymentTrail;
}

export interface MoneyLine {
  readonly id: string;
  readonly unitPriceMinor: bigint;
  readonly quantity: number;
  readonly refundedQuantity: number;
  /** The line's share of the order's tax, fixed when it was priced (money/refunds.ts, lineTaxes). */
  readonly taxMinor: bigint;
}

export interface Balance {
  readonly authorizedMinor: bigint;
  readonly capturedMinor: bigint;
  readonly refundedMinor: bigint;
  /** The total less what it no longer costs. */
  readonly currentTotalMinor: bigint;
  /** Current total less net captured: above zero the customer owes, below zero the shop does. */
  readonly outstandingMinor: bigint;
  readonly voidedMinor: bigint;
  /** Outstanding less what authorizations still hold: what PayOrder asks for. */
  readonly dueMinor: bigint;
}

export function balanceOf(state: MoneyState): Balance {
  const currentTotalMinor = state.totalMinor - state.creditedMinor;
  return {
    authorizedMinor: state.authorizedMinor,
    capturedMinor: state.capturedMinor,
    refundedMinor: state.refundedMinor,
    currentTotalMinor,
    outstandingMinor: currentTotalMinor - (state.capturedMinor - state.refundedMinor),
    voidedMinor: state.voidedMinor,
    dueMinor: currentTotalMinor - (state.capturedMinor - state.refundedMinor) - openMinor(state.paymentTrail),
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
  const given = lines.flatMap((line) => {
    const quantity = line.quantity - line.refundedQuantity;
    return quantity > 0 ? [{ itemId: line.id, quantity, ...unitsRefund(line, line.taxMinor, quantity) }] : [];
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
  const refunded = new Map(lines.map((line) => [line.id, line.refundedQuantity]));
  const given = picks.map((pick) => {
    const line = lines.find((candidate) => candidate.id === pick.itemId);
    if (!line) throw new Error(`unitsRefundPlan: no line ${pick.itemId}`);
    const before = refunded.get(line.id)!;
    if (before + pick.quantity > line.quantity)
      throw new NothingToRefundError(orderId, `item ${line.id} has ${line.quantity - before} units left to refund`);
    refunded.set(line.id, before + pick.quantity);
    return {
      itemId: line.id,
      quantity: pick.quantity,
      ...unitsRefund({ ...line, refundedQuantity: before }, line.taxMinor, pick.quantity),
    };
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

/** What was captured above what the order now costs, given back: not tied to lines, so all of it is `other`. */
export function balancePlan(amountMinor: bigint): RefundPlan {
  return plan("BALANCE", amountMinor, [], 0n, 0n);
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

/**
 * A refund given back from several captures (ledger/domain/payment-trail.ts): its breakdown cut
 * into one per part, exactly. Each part's lines + shipping + other is its amount, and the parts
 * add up to the whole, component by component. Lines, then shipping, then a positive `other` fill
 * the parts in order; a negative `other` (goodwill netted out) stays with the first part. A line
 * cut over two parts names its units in the first and 0 in the next; its tax goes in proportion.
 */
export function splitBreakdown(breakdown: RefundBreakdown, partAmounts: readonly bigint[]): RefundBreakdown[] {
  const other = BigInt(breakdown.otherMinor);
  const room = partAmounts.map((amount, i) => (i === 0 && other < 0n ? amount - other : amount));
  const parts = partAmounts.map((_, i) => ({
    lines: [] as RefundBreakdown["lines"],
    shipping: 0n,
    other: i === 0 && other < 0n ? other : 0n,
  }));
  let at = 0;
  /** Fills parts from `at` with `amount`, calling `put` with each part's piece; a zero amount lands in the current part. */
  const fill = (amount: bigint, put: (part: (typeof parts)[number], piece: bigint, first: boolean) => void) => {
    let left = amount;
    let first = true;
    do {
      while (at < room.length - 1 && room[at]! === 0n && (left > 0n || !first)) at += 1;
      const piece = left < room[at]! ? left : room[at]!;
      if (piece === 0n && left > 0n) throw new RangeError("splitBreakdown: the parts add up to less than the breakdown");
      put(parts[at]!, piece, first);
      room[at] = room[at]! - piece;
      left -= piece;
      first = false;
    } while (left > 0n);
  };
  for (const line of breakdown.lines) {
    const amount = BigInt(line.amountMinor);
    const tax = BigInt(line.taxMinor);
    let done = 0n;
    fill(amount, (part, piece, first) => {
      const taxBefore = amount === 0n ? 0n : (tax * done) / amount;
      done += piece;
      const taxPiece = amount === 0n ? tax : (tax * done) / amount - taxBefore;
      const quantity = first ? line.quantity : 0;
      part.lines.push({ itemId: line.itemId, quantity, amountMinor: String(piece), taxMinor: String(taxPiece) });
    });
  }
  const shipping = BigInt(breakdown.shippingMinor);
  if (shipping > 0n) fill(shipping, (part, piece) => void (part.shipping += piece));
  if (other > 0n) fill(other, (part, piece) => void (part.other += piece));
  return parts.map((part) => ({
    lines: part.lines,
    shippingMinor: String(part.shipping),
    taxMinor: String(part.lines.reduce((sum, line) => sum + BigInt(line.taxMinor), 0n)),
    otherMinor: String(part.other),
  }));
}

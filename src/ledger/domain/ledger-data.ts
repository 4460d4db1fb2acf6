/** What moved money, as the Payment service's calls: held, taken, given back, released. */
export const LEDGER_KINDS = ["AUTHORIZATION", "CAPTURE", "REFUND", "VOID"] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

/** An answer of the Payment service: done, or refused (a declined authorization). */
export const LEDGER_STATES = ["SUCCEEDED", "FAILED"] as const;
export type LedgerState = (typeof LEDGER_STATES)[number];

/**
 * Why money went back. ORDER: the whole order (cancel or refund). SHIPPING and GOODWILL: staff's
 * refunds not tied to items. RETURN and CLAIM: items. BALANCE: the order came to cost less than
 * was taken. '' for what is not a refund.
 */
export const REFUND_CAUSES = ["ORDER", "SHIPPING", "GOODWILL", "RETURN", "CLAIM", "BALANCE"] as const;
export type RefundCause = (typeof REFUND_CAUSES)[number];

/** Units of one line given back, and what they cost with their tax. Amounts are decimal strings: JSON has no 64-bit integers. */
export interface RefundedLine {
  itemId: string;
  quantity: number;
  amountMinor: string;
  taxMinor: string;
}

/**
 * What a refund gave back, part by part: lines + shipping + other = the entry's amount, exactly.
 * `other` is what is not lines or shipping: a goodwill amount, or (negative) goodwill given
 * earlier, netted out of a whole-order refund. `tax` is the lines' tax, already within them.
 */
export interface RefundBreakdown {
  lines: RefundedLine[];
  shippingMinor: string;
  taxMinor: string;
  otherMinor: string;
}

/** One row of the order's money ledger; rows are only ever added. */
export interface LedgerEntryFields {
  id: string;
  orderId: string;
  /** 1, 2, 3... within the order, in the order they happened. */
  position: number;
  kind: LedgerKind;
  state: LedgerState;
  currency: string;
  amountMinor: bigint;
  /** The Payment service's id: authorization, transaction (capture) or refund id; '' when refused. */
  reference: string;
  /** What it acted on: the authorization captured or voided, the capture refunded. */
  parentReference: string;
  /** The key sent to the Payment service: a retry sends it again and moves money once. */
  idempotencyKey: string;
  /** '' unless a refund. */
  refundCause: RefundCause | "";
  breakdown: RefundBreakdown | null;
  /** A refused authorization's decline code. */
  failureCode: string;
  actor: string;
  reason: string;
  createdAt: Date;
}

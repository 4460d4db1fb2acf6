import { createHash } from "node:crypto";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { LRUCache } from "lru-cache";
import type { PaymentService, PaymentSource } from "../../../gen/shop/payment/v1/payment_pb.js";

/** Tokens with a fixed outcome, as providers publish test tokens. Every other token is approved. */
export const TEST_TOKENS = {
  declined: "tok_decline",
  insufficientFunds: "tok_insufficient_funds",
  providerError: "tok_error",
} as const;

const declines: Record<string, { declineCode: string; message: string }> = {
  [TEST_TOKENS.declined]: { declineCode: "card_declined", message: "the card was declined" },
  [TEST_TOKENS.insufficientFunds]: { declineCode: "insufficient_funds", message: "the card has insufficient funds" },
};

const idFor = (prefix: string, key: string) => `${prefix}_${createHash("sha256").update(key).digest("hex").slice(0, 24)}`;

/** UPI handles, bank codes and wallets whose label starts with "decline" are declined, as test accounts. */
function declineOf(source: PaymentSource | undefined): { declineCode: string; message: string } | undefined {
  const value = source?.source;
  if (value?.case === "cardToken") {
    if (value.value === TEST_TOKENS.providerError) throw new ConnectError("the card network did not answer", Code.Unavailable);
    return declines[value.value];
  }
  const label = value?.case === "wallet" ? value.value.provider : typeof value?.value === "string" ? value.value : "";
  return label.toLowerCase().startsWith("decline") ? { declineCode: "payment_rejected", message: "the payment was rejected" } : undefined;
}

type Money = { currencyCode: string; amountMinor: bigint };

/** The ledger a provider keeps, as much of it as the contract's rules need. */
interface Held {
  currency: string;
  held: bigint;
  taken: bigint;
}

/** Keys and amounts remembered, at most this many of each, oldest forgotten first. */
const REMEMBERED = 100_000;

const amountOf = (money: Money | undefined) => money?.amountMinor ?? 0n;
const moneyOf = (currency: string, amountMinor: bigint): Money => ({ currencyCode: currency, amountMinor });

function refuse(message: string): never {
  throw new ConnectError(message, Code.FailedPrecondition);
}

/**
 * The built-in Payment service for development and tests: no network, no money, deterministic.
 * Ids derive from the idempotency key, and it remembers each key's answer, so a retried call
 * returns the first answer and moves money once, as a provider's would. It keeps what each
 * authorization holds and each capture took: capturing more than is held, or refunding more than
 * was captured, is FAILED_PRECONDITION. Authorizations and captures it does not know (made before
 * a restart) are taken as they come. Production runs it only when explicitly allowed
 * (ALLOW_SIMULATED_PAYMENTS).
 */
export function referencePaymentService(): ServiceImpl<typeof PaymentService> {
  const answers = new LRUCache<string, object>({ max: REMEMBERED });
  const authorizations = new LRUCache<string, Held>({ max: REMEMBERED });
  const captures = new LRUCache<string, Held>({ max: REMEMBERED });
  /** The first answer to a key, or this call's, remembered. */
  const once = <T extends object>(kind: string, key: string, answer: () => T): T => {
    const remembered = answers.get(`${kind}:${key}`);
    if (remembered) return remembered as T;
    const fresh = answer();
    answers.set(`${kind}:${key}`, fresh);
    return fresh;
  };
  return {
    async authorize(request) {
      if (!request.source?.source.case) throw new ConnectError("a payment source is required", Code.InvalidArgument);
      const decline = declineOf(request.source);
      if (decline) return { outcome: { case: "declined", value: decline } };
      return once("authorize", request.idempotencyKey, () => {
        const authorizationId = idFor("auth", request.idempotencyKey);
        const currency = request.amount?.currencyCode ?? "";
        authorizations.set(authorizationId, { currency, held: amountOf(request.amount), taken: 0n });
        return { outcome: { case: "authorized" as const, value: { authorizationId, amount: request.amount } } };
      });
    },
    async capture(request) {
      return once("capture", request.idempotencyKey, () => {
        const amount = amountOf(request.amount);
        const auth = authorizations.get(request.authorizationId);
        if (auth && auth.held - auth.taken < amount) refuse(`the authorization holds ${auth.held - auth.taken}, not ${amount}`);
        if (auth) auth.taken += amount;
        const transactionId = idFor("ch", request.idempotencyKey);
        const currency = request.amount?.currencyCode ?? "";
        captures.set(transactionId, { currency, held: amount, taken: 0n });
        return { transactionId, amount: request.amount, remaining: moneyOf(currency, auth ? auth.held - auth.taken : 0n) };
      });
    },
    async refund(request) {
      return once("refund", request.idempotencyKey, () => {
        const amount = amountOf(request.amount);
        const capture = captures.get(request.transactionId);
        if (capture && capture.held - capture.taken < amount)
          refuse(`the capture has ${capture.held - capture.taken} left to refund, not ${amount}`);
        if (capture) capture.taken += amount;
        const currency = request.amount?.currencyCode ?? "";
        const remaining = moneyOf(currency, capture ? capture.held - capture.taken : 0n);
        return { refundId: idFor("re", request.idempotencyKey), amount: request.amount, remaining };
      });
    },
    async void(request) {
      return once("void", request.idempotencyKey, () => {
        const auth = authorizations.get(request.authorizationId);
        const left = auth ? auth.held - auth.taken : 0n;
        const released = request.amount ? amountOf(request.amount) : left;
        if (auth && released > left) refuse(`the authorization holds ${left}, cannot release ${released}`);
        if (auth) auth.held -= released;
        return { amount: moneyOf(request.amount?.currencyCode ?? auth?.currency ?? "", released) };
      });
    },
  };
}

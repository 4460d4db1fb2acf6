import { createHash } from "node:crypto";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
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

/**
 * The built-in Payment service for development and tests: no network, no money, deterministic.
 * Ids derive from the idempotency key, so a retried call returns the same id, as a provider's
 * would. Production runs it only when explicitly allowed (ALLOW_SIMULATED_PAYMENTS).
 */
export function referencePaymentService(): ServiceImpl<typeof PaymentService> {
  return {
    async authorize(request) {
      if (!request.source?.source.case) throw new ConnectError("a payment source is required", Code.InvalidArgument);
      const decline = declineOf(request.source);
      if (decline) return { outcome: { case: "declined", value: decline } };
      return { outcome: { case: "authorized", value: { authorizationId: idFor("auth", request.idempotencyKey) } } };
    },
    async capture(request) {
      return { transactionId: idFor("ch", request.idempotencyKey) };
    },
    async refund(request) {
      return { refundId: idFor("re", request.idempotencyKey) };
    },
    async void() {
      return {};
    },
  };
}

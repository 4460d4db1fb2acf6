import { createHash } from "node:crypto";
import { DependencyUnavailableError } from "../platform/domain-errors.js";
import type { ChargeOutcome, ChargeRequest, PaymentGateway, RefundRequest } from "./payment-gateway.js";

/** Test numbers with a fixed outcome, as real gateways publish them. Every other valid card is approved. */
export const TEST_CARDS = {
  declined: "4000000000000002",
  insufficientFunds: "4000000000009995",
  gatewayError: "4000000000000119",
} as const;

const declines: Record<string, { declineCode: string; message: string }> = {
  [TEST_CARDS.declined]: { declineCode: "card_declined", message: "the card was declined" },
  [TEST_CARDS.insufficientFunds]: { declineCode: "insufficient_funds", message: "the card has insufficient funds" },
};

const idFor = (prefix: string, key: string) => `${prefix}_${createHash("sha256").update(key).digest("hex").slice(0, 24)}`;

/**
 * The default gateway: no network, deterministic. Transaction ids derive from the idempotency
 * key, so a retried charge or refund returns the same id, as a real gateway's would. UPI
 * handles, bank codes and wallets whose label starts with "decline" are declined.
 */
export class SimulatedGateway implements PaymentGateway {
  async charge(request: ChargeRequest): Promise<ChargeOutcome> {
    const card = request.method.cardNumber;
    if (card === TEST_CARDS.gatewayError) throw new DependencyUnavailableError("payment gateway", "processing error");
    const decline = card ? declines[card] : request.method.display.toLowerCase().startsWith("decline") ? { declineCode: "payment_rejected", message: "the payment was rejected" } : undefined;
    if (decline) return { approved: false, ...decline };
    return { approved: true, transactionId: idFor("sim_ch", request.idempotencyKey) };
  }

  async refund(request: RefundRequest): Promise<{ refundId: string }> {
    return { refundId: idFor("sim_re", request.idempotencyKey) };
  }
}

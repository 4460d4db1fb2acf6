import type { Money } from "../money/money.js";
import type { PaymentMethod } from "./payment-method.js";

export interface ChargeRequest {
  /** The same key returns the same outcome and never charges twice. */
  readonly idempotencyKey: string;
  readonly orderId: string;
  readonly amount: Money;
  readonly method: PaymentMethod;
}

export type ChargeOutcome =
  | { readonly approved: true; readonly transactionId: string }
  | { readonly approved: false; readonly declineCode: string; readonly message: string };

export interface RefundRequest {
  readonly idempotencyKey: string;
  readonly transactionId: string;
  readonly amount: Money;
}

/**
 * Authorize-and-capture and refunds. A decline is an outcome, not an error; a gateway that cannot
 * answer throws DependencyUnavailableError.
 */
export interface PaymentGateway {
  charge(request: ChargeRequest, signal: AbortSignal): Promise<ChargeOutcome>;
  refund(request: RefundRequest, signal: AbortSignal): Promise<{ refundId: string }>;
}

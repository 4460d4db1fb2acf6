import type { Money } from "../money/money.js";
import type { PaymentMethod } from "./payment-method.js";

export interface AuthorizeRequest {
  /** The same key returns the same outcome and never holds money twice. */
  readonly idempotencyKey: string;
  readonly orderId: string;
  readonly amount: Money;
  readonly method: PaymentMethod;
}

export type AuthorizeOutcome =
  | { readonly approved: true; readonly authorizationId: string }
  | { readonly approved: false; readonly declineCode: string; readonly message: string };

/**
 * The Payment service as the order use cases see it: authorize, capture, refund and void, each
 * idempotent by a key the order service derives. A decline is an outcome, not an error; a
 * provider that cannot answer throws DependencyUnavailableError.
 */
export interface PaymentGateway {
  authorize(request: AuthorizeRequest, signal: AbortSignal): Promise<AuthorizeOutcome>;
  capture(
    request: { idempotencyKey: string; authorizationId: string; amount: Money },
    signal: AbortSignal,
  ): Promise<{ transactionId: string }>;
  refund(request: { idempotencyKey: string; transactionId: string; amount: Money }, signal: AbortSignal): Promise<{ refundId: string }>;
  /** Releases `amount` of what the authorization holds, or all of it when unset. */
  void(request: { idempotencyKey: string; authorizationId: string; amount?: Money }, signal: AbortSignal): Promise<void>;
}

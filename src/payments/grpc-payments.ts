import { createClient, type Client, type Transport } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { PaymentService, type PaymentSourceSchema } from "../../gen/shop/payment/v1/payment_pb.js";
import { toMoneyProto } from "../money/money-proto.js";
import { callOptions } from "../platform/dependencies/grpc-client.js";
import type { DependencyGuard } from "../platform/dependencies/resilience.js";
import type { PaymentGateway } from "./payment-gateway.js";
import type { PaymentMethod } from "./payment-method.js";

function sourceOf(method: PaymentMethod): MessageInitShape<typeof PaymentSourceSchema> {
  switch (method.type) {
    case "CARD":
      return { source: { case: "cardToken", value: method.token ?? "" } };
    case "UPI":
      return { source: { case: "upiVpa", value: method.display } };
    case "NET_BANKING":
      return { source: { case: "bankCode", value: method.display } };
    case "WALLET":
      return { source: { case: "wallet", value: { provider: method.display } } };
    case "CASH_ON_DELIVERY":
      return { source: { case: "cashOnDelivery", value: {} } };
  }
}

/**
 * The Payment service over its gRPC contract. Every call is idempotent by key in that contract,
 * so every call is safe to retry; all pass one circuit breaker.
 */
export class GrpcPayments implements PaymentGateway {
  private readonly client: Client<typeof PaymentService>;

  constructor(
    transport: Transport,
    private readonly timeoutMs: number,
    private readonly guard: DependencyGuard,
  ) {
    this.client = createClient(PaymentService, transport);
  }

  async authorize(request: Parameters<PaymentGateway["authorize"]>[0], signal: AbortSignal) {
    const { idempotencyKey, orderId, amount, method } = request;
    const response = await this.guard.safe(
      (attempt) =>
        this.client.authorize(
          { idempotencyKey, orderId, amount: toMoneyProto(amount), source: sourceOf(method) },
          callOptions(this.timeoutMs, attempt),
        ),
      signal,
    );
    const outcome = response.outcome;
    if (outcome.case === "authorized") return { approved: true as const, authorizationId: outcome.value.authorizationId };
    if (outcome.case === "declined")
      return { approved: false as const, declineCode: outcome.value.declineCode, message: outcome.value.message };
    throw new Error("the payment service answered neither authorized nor declined");
  }

  async capture(request: Parameters<PaymentGateway["capture"]>[0], signal: AbortSignal) {
    const { idempotencyKey, authorizationId, amount } = request;
    const response = await this.guard.safe(
      (attempt) =>
        this.client.capture({ idempotencyKey, authorizationId, amount: toMoneyProto(amount) }, callOptions(this.timeoutMs, attempt)),
      signal,
    );
    return { transactionId: response.transactionId };
  }

  async refund(request: Parameters<PaymentGateway["refund"]>[0], signal: AbortSignal) {
    const { idempotencyKey, transactionId, amount } = request;
    const response = await this.guard.safe(
      (attempt) =>
        this.client.refund({ idempotencyKey, transactionId, amount: toMoneyProto(amount) }, callOptions(this.timeoutMs, attempt)),
      signal,
    );
    return { refundId: response.refundId };
  }

  async void(request: Parameters<PaymentGateway["void"]>[0], signal: AbortSignal) {
    const { idempotencyKey, authorizationId, amount } = request;
    const message = { idempotencyKey, authorizationId, ...(amount ? { amount: toMoneyProto(amount) } : {}) };
    await this.guard.safe((attempt) => this.client.void(message, callOptions(this.timeoutMs, attempt)), signal);
  }
}

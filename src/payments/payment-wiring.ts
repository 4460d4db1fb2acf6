import { createRouterTransport } from "@connectrpc/connect";
import type { Logger } from "pino";
import { PaymentService } from "../../gen/shop/payment/v1/payment_pb.js";
import type { Config } from "../config.js";
import type { DependencyMetrics } from "../platform/dependencies/dependency-metrics.js";
import { grpcTransport } from "../platform/dependencies/grpc-client.js";
import { DependencyGuard } from "../platform/dependencies/resilience.js";
import { GrpcPayments } from "./grpc-payments.js";
import type { PaymentGateway } from "./payment-gateway.js";
import { referencePaymentService } from "./reference/reference-payments.js";

/**
 * The Payment client. With PAYMENT_SERVICE_URL it calls that service over gRPC; without, the
 * built-in simulated one in process, through the same typed client and contract. config.ts
 * refuses the simulated one in production unless ALLOW_SIMULATED_PAYMENTS=true.
 */
export function createPaymentGateway(config: Config, log: Logger, metrics?: DependencyMetrics): PaymentGateway {
  const url = config.dependencies.paymentServiceUrl;
  if (!url && config.environment === "production") {
    log.warn(
      "no PAYMENT_SERVICE_URL in production (ALLOW_SIMULATED_PAYMENTS=true): payments are simulated, any token is captured and no money moves",
    );
  }
  const transport = url
    ? grpcTransport(url, config.dependencies.client)
    : createRouterTransport(({ service }) => service(PaymentService, referencePaymentService()));
  return new GrpcPayments(
    transport,
    config.dependencies.timeoutMs,
    new DependencyGuard("payment service", config.dependencies.resilience, metrics),
  );
}

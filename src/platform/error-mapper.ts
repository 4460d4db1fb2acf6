import { Code, ConnectError } from "@connectrpc/connect";
import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import { isDatabaseUnavailable } from "../db/database-errors.js";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  PreconditionFailureSchema,
  QuotaFailureSchema,
  ResourceInfoSchema,
  RetryInfoSchema,
} from "../../gen/google/rpc/error_details_pb.js";
import { CartAdjustments_Reason, CartAdjustmentsSchema } from "../../gen/shop/cart/v1/cart_pb.js";
import {
  InactiveProductsSchema,
  InsufficientStockSchema,
  PriceMismatchSchema,
  UnknownProductsSchema,
} from "../../gen/shop/order/v1/order_errors_pb.js";
import { CartChangedError } from "../cart/cart-errors.js";
import {
  InactiveProductsError,
  InsufficientStockError,
  PriceMismatchError,
  UnknownProductsError,
} from "../catalog/catalog-errors.js";
import { toMoneyProto } from "../money/money-proto.js";
import {
  DependencyUnavailableError,
  DomainError,
  FailedPreconditionError,
  InvalidArgumentError,
  LimitExceededError,
  NotFoundError,
  type ErrorKind,
} from "./domain-errors.js";

export const ERROR_DOMAIN = "orders.shop.internal";

const codes: Record<ErrorKind, Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  failed_precondition: Code.FailedPrecondition,
  aborted: Code.Aborted,
  already_exists: Code.AlreadyExists,
  permission_denied: Code.PermissionDenied,
  unauthenticated: Code.Unauthenticated,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  deadline_exceeded: Code.DeadlineExceeded,
};

type Detail = { desc: DescMessage; value: MessageInitShape<DescMessage> };

function detail<D extends DescMessage>(desc: D, value: MessageInitShape<D>): Detail {
  return { desc, value } as Detail;
}

/**
 * The one place where errors become gRPC statuses. Domain errors keep their code and get
 * google.rpc details; anything unexpected is logged and hidden behind INTERNAL.
 */
export function toConnectError(error: unknown, log: Logger): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof DomainError) {
    return new ConnectError(error.message, codes[error.kind], undefined, detailsOf(error));
  }
  if (isDatabaseUnavailable(error)) {
    log.warn({ err: error }, "database unavailable");
    return toConnectError(new DependencyUnavailableError("database", "cannot reach PostgreSQL; nothing was written", 1_000), log);
  }
  log.error({ err: error }, "unexpected error");
  return new ConnectError("internal error; the request id in the logs has the cause", Code.Internal);
}

function detailsOf(error: DomainError): Detail[] {
  const details = [
    detail(ErrorInfoSchema, { reason: error.reason, domain: ERROR_DOMAIN, metadata: { ...error.metadata } }),
  ];
  if (error instanceof InvalidArgumentError) {
    details.push(detail(BadRequestSchema, { fieldViolations: error.violations.map((v) => ({ ...v })) }));
  }
  if (error instanceof FailedPreconditionError && error.violations.length > 0) {
    details.push(detail(PreconditionFailureSchema, { violations: error.violations.map((v) => ({ ...v })) }));
  }
  if (error instanceof NotFoundError) {
    details.push(detail(ResourceInfoSchema, { resourceType: error.resourceType, resourceName: error.resourceId }));
  }
  if (error instanceof LimitExceededError) {
    details.push(detail(QuotaFailureSchema, { violations: [{ subject: error.subject, description: error.message }] }));
  }
  if ("retryAfterMs" in error && typeof error.retryAfterMs === "number") {
    const ms = BigInt(Math.ceil(error.retryAfterMs));
    details.push(detail(RetryInfoSchema, { retryDelay: { seconds: ms / 1000n, nanos: Number(ms % 1000n) * 1e6 } }));
  }
  details.push(...domainDetailsOf(error));
  return details;
}

function domainDetailsOf(error: DomainError): Detail[] {
  if (error instanceof UnknownProductsError) {
    return [detail(UnknownProductsSchema, { productIds: [...error.productIds] })];
  }
  if (error instanceof InactiveProductsError) {
    return [detail(InactiveProductsSchema, { productIds: [...error.productIds] })];
  }
  if (error instanceof InsufficientStockError) {
    return [detail(InsufficientStockSchema, { shortages: error.shortages.map((s) => ({ ...s })) })];
  }
  if (error instanceof PriceMismatchError) {
    return [
      detail(PriceMismatchSchema, {
        lines: error.differences.map((d) => ({
          productId: d.productId,
          expected: toMoneyProto(d.expected),
          actual: toMoneyProto(d.actual),
        })),
      }),
    ];
  }
  if (error instanceof CartChangedError) {
    return [
      detail(CartAdjustmentsSchema, {
        cartVersion: BigInt(error.cartVersion),
        adjustments: error.adjustments.map((a) => ({
          productId: a.productId,
          reason: CartAdjustments_Reason[a.reason],
          oldUnitPrice: toMoneyProto(a.oldUnitPrice),
          newUnitPrice: toMoneyProto(a.newUnitPrice),
          noLongerAvailable: a.newQuantity === 0,
          oldQuantity: a.oldQuantity,
          newQuantity: a.newQuantity,
        })),
      }),
    ];
  }
  return [];
}

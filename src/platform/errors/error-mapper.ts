import { Code, ConnectError } from "@connectrpc/connect";
import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import { isDatabaseUnavailable } from "../../db/database-errors.js";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  PreconditionFailureSchema,
  QuotaFailureSchema,
  ResourceInfoSchema,
  RetryInfoSchema,
} from "../../../gen/google/rpc/error_details_pb.js";
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

/**
 * The message travels in the grpc-message header, which clients cap (grpc-js: 16 KiB of headers in
 * all); the details carry every violation, so the message is cut short rather than the answer lost.
 */
const MAX_MESSAGE_CHARS = 1_000;

function headline(message: string): string {
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…` : message;
}

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

export type ErrorDetail = { desc: DescMessage; value: MessageInitShape<DescMessage> };

export function errorDetail<D extends DescMessage>(desc: D, value: MessageInitShape<D>): ErrorDetail {
  return { desc, value };
}

/**
 * A feature's own error details (catalog shortages, cart adjustments), encoded at its transport
 * edge: an empty list for errors that are not its own. The platform knows no feature's errors.
 */
export type DetailEncoder = (error: DomainError) => readonly ErrorDetail[];

export type ErrorMapper = (error: unknown, log: Logger) => ConnectError;

/**
 * The one place where errors become gRPC statuses. Domain errors keep their code and get
 * google.rpc details, plus what the features' encoders add; anything unexpected is logged and
 * hidden behind INTERNAL.
 */
export function createErrorMapper(encoders: readonly DetailEncoder[] = []): ErrorMapper {
  const toConnectError: ErrorMapper = (error, log) => {
    if (error instanceof ConnectError) return error;
    if (error instanceof DomainError) {
      const details = [...detailsOf(error), ...encoders.flatMap((encode) => encode(error))];
      return new ConnectError(headline(error.message), codes[error.kind], undefined, details);
    }
    if (isDatabaseUnavailable(error)) {
      log.warn({ err: error }, "database unavailable");
      return toConnectError(new DependencyUnavailableError("database", "cannot reach PostgreSQL; nothing was written", 1_000), log);
    }
    log.error({ err: error }, "unexpected error");
    return new ConnectError("internal error; the request id in the logs has the cause", Code.Internal);
  };
  return toConnectError;
}

function detailsOf(error: DomainError): ErrorDetail[] {
  const details = [errorDetail(ErrorInfoSchema, { reason: error.reason, domain: ERROR_DOMAIN, metadata: { ...error.metadata } })];
  if (error instanceof InvalidArgumentError) {
    details.push(errorDetail(BadRequestSchema, { fieldViolations: error.violations.map((v) => ({ ...v })) }));
  }
  if (error instanceof FailedPreconditionError && error.violations.length > 0) {
    details.push(errorDetail(PreconditionFailureSchema, { violations: error.violations.map((v) => ({ ...v })) }));
  }
  if (error instanceof NotFoundError) {
    details.push(errorDetail(ResourceInfoSchema, { resourceType: error.resourceType, resourceName: error.resourceId }));
  }
  if (error instanceof LimitExceededError) {
    details.push(errorDetail(QuotaFailureSchema, { violations: [{ subject: error.subject, description: error.message }] }));
  }
  if ("retryAfterMs" in error && typeof error.retryAfterMs === "number") {
    const ms = BigInt(Math.ceil(error.retryAfterMs));
    details.push(errorDetail(RetryInfoSchema, { retryDelay: { seconds: ms / 1000n, nanos: Number(ms % 1000n) * 1e6 } }));
  }
  return details;
}

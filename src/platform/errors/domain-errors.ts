/**
 * Errors that domain code throws. They say what went wrong in domain terms; the one mapping to
 * gRPC codes and details lives in error-mapper.ts.
 */
export type ErrorKind =
  | "invalid_argument"
  | "not_found"
  | "failed_precondition"
  | "aborted"
  | "already_exists"
  | "permission_denied"
  | "unauthenticated"
  | "resource_exhausted"
  | "unavailable"
  | "deadline_exceeded";

export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

export interface PreconditionViolation {
  /** A machine-readable category, e.g. "STATUS_TRANSITION". */
  readonly type: string;
  readonly subject: string;
  readonly description: string;
}

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    /** UPPER_SNAKE_CASE, stable, sent as google.rpc.ErrorInfo.reason. */
    readonly reason: string,
    message: string,
    readonly metadata: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** At most this many violations are sent; the rest are counted ("and N more"). */
export const MAX_VIOLATIONS = 50;
/** Fields and descriptions are cut to this many characters, so an answer stays small whatever was asked. */
const MAX_VIOLATION_TEXT = 200;

function clip(text: string): string {
  return text.length > MAX_VIOLATION_TEXT ? `${text.slice(0, MAX_VIOLATION_TEXT - 1)}…` : text;
}

export class InvalidArgumentError extends DomainError {
  readonly violations: readonly FieldViolation[];

  /** `total`: how many there were, when the caller kept only the first ones. */
  constructor(violations: readonly FieldViolation[], reason = "INVALID_ARGUMENT", total = violations.length) {
    const kept = violations.slice(0, MAX_VIOLATIONS).map((v) => ({ field: clip(v.field), description: clip(v.description) }));
    const more = total - kept.length;
    const text = kept.map((v) => (v.field ? `${v.field}: ${v.description}` : v.description)).join("; ");
    super("invalid_argument", reason, more > 0 ? `${text}; and ${more} more` : text, more > 0 ? { violation_count: String(total) } : {});
    this.violations = kept;
  }
}

export class NotFoundError extends DomainError {
  constructor(
    readonly resourceType: string,
    readonly resourceId: string,
  ) {
    super("not_found", `${resourceType.toUpperCase().replace(/\W+/g, "_")}_NOT_FOUND`, `${resourceType} "${resourceId}" not found`);
  }
}

export class FailedPreconditionError extends DomainError {
  constructor(
    reason: string,
    message: string,
    readonly violations: readonly PreconditionViolation[] = [],
  ) {
    super("failed_precondition", reason, message);
  }
}

/** Optimistic concurrency: the caller acted on a version that is no longer current. */
export class VersionConflictError extends DomainError {
  constructor(resourceType: string, resourceId: string, expected: bigint, actual: bigint) {
    super(
      "aborted",
      "VERSION_MISMATCH",
      `${resourceType} "${resourceId}" is at version ${actual}, not ${expected}; read it again and retry`,
      { expected_version: String(expected), actual_version: String(actual) },
    );
  }
}

export class AlreadyExistsError extends DomainError {
  constructor(reason: string, message: string) {
    super("already_exists", reason, message);
  }
}

export class DependencyUnavailableError extends DomainError {
  constructor(
    readonly dependency: string,
    message: string,
    readonly retryAfterMs = 1000,
  ) {
    super("unavailable", "DEPENDENCY_UNAVAILABLE", `${dependency} unavailable: ${message}`, { dependency });
  }
}

export class DeadlineExceededError extends DomainError {
  constructor(message = "the deadline expired before the operation completed") {
    super("deadline_exceeded", "DEADLINE_EXCEEDED", message);
  }
}

/** A configured limit (lines per cart, quantity per line, ...) would be passed. */
export class LimitExceededError extends DomainError {
  constructor(
    reason: string,
    readonly subject: string,
    message: string,
  ) {
    super("resource_exhausted", reason, message);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message: string) {
    super("unauthenticated", "UNAUTHENTICATED", message);
  }
}

export class PermissionDeniedError extends DomainError {
  constructor(message: string) {
    super("permission_denied", "PERMISSION_DENIED", message);
  }
}

/** The process is shutting down: a retry reaches another instance (the load balancer has stopped sending here). */
export class ShuttingDownError extends DomainError {
  readonly retryAfterMs = 100;
  constructor() {
    super("unavailable", "SHUTTING_DOWN", "this instance is shutting down; retry, and another instance will answer");
  }
}

/** Too many calls in progress in this process: refused at once rather than queued without bound. */
export class OverloadedError extends DomainError {
  readonly retryAfterMs = 100;
  constructor(limit: number) {
    super("unavailable", "OVERLOADED", `the service has ${limit} calls in progress, its limit; retry shortly`);
  }
}

/** Too many calls (or failed sign-ins) from one caller; the RetryInfo says when the next one is allowed. */
export class RateLimitedError extends DomainError {
  constructor(
    readonly retryAfterMs: number,
    reason = "RATE_LIMITED",
    what = "too many requests",
  ) {
    super("resource_exhausted", reason, `${what}; retry in ${Math.ceil(retryAfterMs)} ms`);
  }
}

import { Code, ConnectError } from "@connectrpc/connect";
import { DeadlineExceededError, DependencyUnavailableError, DomainError } from "../errors/domain-errors.js";

/**
 * Turns a failed call to another service into a domain error. Their INVALID_ARGUMENT or
 * NOT_FOUND would be our bug, not the caller's, so everything unexpected is UNAVAILABLE.
 */
export function dependencyError(dependency: string, error: unknown, signal: AbortSignal): DomainError {
  if (error instanceof DomainError) return error;
  if (signal.aborted) return new DeadlineExceededError(`the deadline expired while calling ${dependency}`);
  const connectError = ConnectError.from(error);
  if (connectError.code === Code.DeadlineExceeded) {
    return new DependencyUnavailableError(dependency, "timed out");
  }
  return new DependencyUnavailableError(dependency, `${Code[connectError.code]}: ${connectError.rawMessage}`);
}

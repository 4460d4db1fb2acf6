import { Code, ConnectError } from "@connectrpc/connect";
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  retry,
  wrap,
  type IPolicy,
} from "cockatiel";
import { DependencyUnavailableError } from "../errors/domain-errors.js";
import { hasNetworkCause } from "../errors/network-errors.js";
import { dependencyError } from "./dependency-errors.js";
import type { DependencyMetrics } from "./dependency-metrics.js";

export interface ResilienceOptions {
  /** Extra attempts for calls that are safe to repeat. */
  readonly retries: number;
  /** Consecutive failures that open the circuit. */
  readonly breakerThreshold: number;
  /** How long an open circuit fails fast before letting one trial call through. */
  readonly breakerHalfOpenAfterMs: number;
}

/** The dependency is sick (not the request): these count against the circuit. */
const UNHEALTHY = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.Internal, Code.Unknown, Code.DataLoss]);
/** Worth another attempt: the request never ran, or ran out of its per-attempt time. */
const RETRYABLE = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted]);

/** A reset or refused connection counts as UNAVAILABLE whatever code the client library gave it (connect-node says ABORTED). */
const isConnectError = (codes: Set<Code>) => (error: unknown) =>
  error instanceof ConnectError && (codes.has(error.code) || hasNetworkCause(error));

/**
 * Calls to one dependency go through here: `safe` calls (reads, and writes the contract makes
 * idempotent by key) are retried with exponential backoff and jitter; every call passes one
 * circuit breaker, so a dependency that keeps failing is not hammered and callers get
 * UNAVAILABLE at once. The caller's own deadline ends the retries.
 */
export class DependencyGuard {
  private readonly breaker;
  private readonly safePolicy: IPolicy;

  constructor(
    readonly dependency: string,
    private readonly options: ResilienceOptions,
    private readonly metrics?: DependencyMetrics,
  ) {
    this.breaker = circuitBreaker(handleWhen(isConnectError(UNHEALTHY)), {
      halfOpenAfter: options.breakerHalfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.breakerThreshold),
    });
    const retries = retry(handleWhen(isConnectError(RETRYABLE)), {
      maxAttempts: options.retries,
      backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1_000 }),
    });
    this.safePolicy = wrap(retries, this.breaker);
    metrics?.track(dependency, () => this.breaker.state);
  }

  get state() {
    return this.breaker.state;
  }

  /** For calls that may be repeated without effect. */
  safe<T>(call: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    return this.run(this.safePolicy, call, signal);
  }

  /** For calls that must run at most once per request: no retry, but still behind the breaker. */
  once<T>(call: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    return this.run(this.breaker, call, signal);
  }

  private async run<T>(policy: IPolicy, call: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    const started = performance.now();
    let ok = false;
    try {
      const result = await policy.execute(({ signal: attemptSignal }) => call(attemptSignal), signal);
      ok = true;
      return result;
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new DependencyUnavailableError(
          this.dependency,
          "failing repeatedly; calls are paused (circuit open)",
          this.options.breakerHalfOpenAfterMs,
        );
      }
      throw dependencyError(this.dependency, error, signal);
    } finally {
      this.metrics?.observe(this.dependency, ok, (performance.now() - started) / 1000);
    }
  }
}

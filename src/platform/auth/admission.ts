import { createContextKey } from "@connectrpc/connect";
import { RateLimiterMemory, type RateLimiterRes } from "rate-limiter-flexible";
import { RateLimitedError, UnauthenticatedError } from "../domain-errors.js";
import type { Authenticator } from "./authenticator.js";
import type { Principal } from "./principal.js";

/** What the transport learnt from a call's headers, before it read a byte of the body. */
export type AdmissionOutcome = { readonly principal: Principal } | { readonly refused: unknown };

/** Set by the transports (gRPC and HTTP) on every call before its handler runs. */
export const admissionKey = createContextKey<AdmissionOutcome | undefined>(undefined, { description: "admission outcome" });

/** The peer's IP address, as the HTTP transport saw it. */
export const peerAddressKey = createContextKey<string>("", { description: "peer address" });

export interface AdmissionLimits {
  /** Calls per second per caller; 0: no limit. */
  readonly callsPerSecond: number;
  /** Failed authentications per peer address per minute; 0: no limit. */
  readonly failuresPerMinute: number;
}

/**
 * Decides from the headers alone who is calling and whether they may call now, so that a caller
 * who may not is refused before the transport reads the body. A peer address that keeps failing
 * authentication is refused without verifying anything more, except for callers it already proved
 * (behind a NAT or a sidecar, one bad client must not lock out the good ones).
 */
export class Admission {
  private readonly perCaller: RateLimiterMemory | undefined;
  private readonly failures: RateLimiterMemory | undefined;

  constructor(
    private readonly authenticator: Authenticator,
    private readonly limits: AdmissionLimits,
  ) {
    this.perCaller = limits.callsPerSecond > 0 ? new RateLimiterMemory({ points: limits.callsPerSecond, duration: 1 }) : undefined;
    this.failures = limits.failuresPerMinute > 0 ? new RateLimiterMemory({ points: limits.failuresPerMinute, duration: 60 }) : undefined;
  }

  /** Never rejects: a refusal is an outcome, carried to the handler so that it is logged and mapped like any error. */
  async admit(headers: Headers, peer: string): Promise<AdmissionOutcome> {
    try {
      const principal = await this.authenticate(headers, peer);
      await this.chargeCall(principal.userId);
      return { principal };
    } catch (refused) {
      return { refused };
    }
  }

  private async authenticate(headers: Headers, peer: string): Promise<Principal> {
    const failed = this.failures && (await this.failures.get(peer));
    if (failed && failed.consumedPoints >= this.limits.failuresPerMinute) {
      const known = this.authenticator.recall(headers);
      if (known) return known;
      throw new RateLimitedError(failed.msBeforeNext, "AUTHENTICATION_FAILURES", "too many failed authentications from this address");
    }
    try {
      return await this.authenticator.authenticate(headers);
    } catch (error) {
      if (error instanceof UnauthenticatedError) await this.failures?.penalty(peer);
      throw error;
    }
  }

  private async chargeCall(userId: string): Promise<void> {
    try {
      await this.perCaller?.consume(userId);
    } catch (rejection) {
      if (rejection instanceof Error) throw rejection;
      throw new RateLimitedError((rejection as RateLimiterRes).msBeforeNext);
    }
  }
}

/** "::ffff:10.0.0.1" and "10.0.0.1" are one peer. */
export function peerAddress(raw: string | undefined): string {
  if (!raw) return "unknown";
  return raw.startsWith("::ffff:") ? raw.slice(7) : raw;
}

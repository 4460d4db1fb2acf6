import { createContextKey } from "@connectrpc/connect";
import proxyaddr from "proxy-addr";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { RateLimitedError, UnauthenticatedError } from "../errors/domain-errors.js";
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
  /** Failed authentications per client address per minute; 0: no limit. */
  readonly failuresPerMinute: number;
  /**
   * The proxies (addresses, CIDRs, or proxy-addr's names such as "loopback") whose
   * X-Forwarded-For is believed; empty: the socket's peer is the client.
   */
  readonly trustedProxies: readonly string[];
}

/**
 * Decides from the headers alone who is calling and whether they may call now, so that a caller
 * who may not is refused before the transport reads the body.
 *
 * Every token is verified before any limit is looked at (HS256 and cached JWKS keys cost
 * microseconds, and a token seen before is a cache hit): a valid token is never refused because
 * someone else failed from the same address, which behind an ingress, a NAT or a sidecar is
 * every caller's. Only failing calls are limited: past `failuresPerMinute` from one client address
 * they get RESOURCE_EXHAUSTED with a retry delay instead of UNAUTHENTICATED.
 */
export class Admission {
  private readonly perCaller: RateLimiterMemory | undefined;
  private readonly failures: RateLimiterMemory | undefined;
  private readonly trust: ((address: string, hop: number) => boolean) | undefined;

  constructor(
    private readonly authenticator: Authenticator,
    limits: AdmissionLimits,
    private readonly failed: (outcome: "unauthenticated" | "limited") => void = () => undefined,
  ) {
    this.perCaller = limits.callsPerSecond > 0 ? new RateLimiterMemory({ points: limits.callsPerSecond, duration: 1 }) : undefined;
    this.failures = limits.failuresPerMinute > 0 ? new RateLimiterMemory({ points: limits.failuresPerMinute, duration: 60 }) : undefined;
    this.trust = limits.trustedProxies.length ? proxyaddr.compile([...limits.trustedProxies]) : undefined;
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
    try {
      return await this.authenticator.authenticate(headers);
    } catch (error) {
      if (!(error instanceof UnauthenticatedError)) throw error;
      if (!this.failures) {
        this.failed("unauthenticated");
        throw error;
      }
      const limited = await this.failures.consume(this.clientAddress(peer, headers)).then(
        () => undefined,
        (rejection: unknown) => {
          // The limiter rejects with its result when the points are spent, and with an Error when it fails.
          if (rejection instanceof RateLimiterRes) return rejection;
          throw rejection;
        },
      );
      this.failed(limited ? "limited" : "unauthenticated");
      if (limited) {
        throw new RateLimitedError(limited.msBeforeNext, "AUTHENTICATION_FAILURES", "too many failed authentications from this address");
      }
      throw error;
    }
  }

  /** The client's address: the socket's peer, or, when that is a trusted proxy, the address it forwarded for. */
  clientAddress(peer: string, headers: Headers): string {
    if (!this.trust) return peer;
    const forwardedFor = headers.get("x-forwarded-for") ?? undefined;
    const request = { headers: { "x-forwarded-for": forwardedFor }, connection: { remoteAddress: peer }, socket: { remoteAddress: peer } };
    return peerAddress(proxyaddr(request as unknown as Parameters<typeof proxyaddr>[0], this.trust));
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

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
  /** Calls per second from one client address by guests and anonymous callers; 0: no limit. */
  readonly guestCallsPerSecond: number;
  /** Guest carts one client address may start per minute; 0: no limit. */
  readonly guestCartsPerMinute: number;
}

/** Methods a caller with no token at all may call ("package.Service/Method"): starting a guest cart. */
export const ANONYMOUS_METHODS: ReadonlySet<string> = new Set(["shop.cart.v1.CartService/CreateGuestCart"]);
const ANONYMOUS: Principal = { userId: "anonymous:", roles: ["customer"], capability: { kind: "anonymous" } };

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
  private readonly guestCalls: RateLimiterMemory | undefined;
  private readonly guestCarts: RateLimiterMemory | undefined;

  constructor(
    private readonly authenticator: Authenticator,
    limits: AdmissionLimits,
    private readonly failed: (outcome: "unauthenticated" | "limited") => void = () => undefined,
  ) {
    this.perCaller = limits.callsPerSecond > 0 ? new RateLimiterMemory({ points: limits.callsPerSecond, duration: 1 }) : undefined;
    this.failures = limits.failuresPerMinute > 0 ? new RateLimiterMemory({ points: limits.failuresPerMinute, duration: 60 }) : undefined;
    this.trust = limits.trustedProxies.length ? proxyaddr.compile([...limits.trustedProxies]) : undefined;
    this.guestCalls =
      limits.guestCallsPerSecond > 0 ? new RateLimiterMemory({ points: limits.guestCallsPerSecond, duration: 1 }) : undefined;
    this.guestCarts =
      limits.guestCartsPerMinute > 0 ? new RateLimiterMemory({ points: limits.guestCartsPerMinute, duration: 60 }) : undefined;
  }

  /**
   * Never rejects: a refusal is an outcome, carried to the handler so that it is logged and mapped
   * like any error. `method` ("package.Service/Method") lets a caller without a token start a
   * guest cart and do nothing else. Guests are limited per token (as every caller is) and per
   * client address: a guest can mint itself new tokens, an address it cannot.
   */
  async admit(headers: Headers, peer: string, method = ""): Promise<AdmissionOutcome> {
    try {
      const anonymous = !headers.has("authorization") && ANONYMOUS_METHODS.has(method);
      const principal = anonymous ? ANONYMOUS : await this.authenticate(headers, peer);
      if (!anonymous) await this.chargeCall(principal.userId);
      if (principal.capability) await this.chargeGuest(this.clientAddress(peer, headers), anonymous);
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
    await charge(this.perCaller, userId);
  }

  private async chargeGuest(address: string, startsCart: boolean): Promise<void> {
    await charge(this.guestCalls, address, "GUEST_CALLS", "too many guest calls from this address");
    if (startsCart) await charge(this.guestCarts, address, "GUEST_CARTS", "too many guest carts started from this address");
  }
}

async function charge(limiter: RateLimiterMemory | undefined, key: string, reason?: string, message?: string): Promise<void> {
  try {
    await limiter?.consume(key);
  } catch (rejection) {
    if (rejection instanceof Error) throw rejection;
    throw new RateLimitedError((rejection as RateLimiterRes).msBeforeNext, reason, message);
  }
}

/** "::ffff:10.0.0.1" and "10.0.0.1" are one peer. */
export function peerAddress(raw: string | undefined): string {
  if (!raw) return "unknown";
  return raw.startsWith("::ffff:") ? raw.slice(7) : raw;
}

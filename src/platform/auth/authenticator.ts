import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from "jose";
import { LRUCache } from "lru-cache";
import { UnauthenticatedError } from "../domain-errors.js";
import { ROLES, type Principal, type Role } from "./principal.js";

export interface Authenticator {
  authenticate(headers: Headers): Promise<Principal>;
}

export type JwtKey = { readonly secret: Uint8Array } | { readonly jwksUrl: string };

const USER_ID = /^[\w.:@-]{1,128}$/;

function rolesFrom(claim: unknown): Role[] {
  const names = Array.isArray(claim) ? claim : typeof claim === "string" ? claim.split(/[\s,]+/) : [];
  const roles = names.filter((name): name is Role => (ROLES as readonly string[]).includes(name));
  return roles.length ? roles : ["customer"];
}

function principalOf(userId: unknown, roles: unknown): Principal {
  if (typeof userId !== "string" || !USER_ID.test(userId)) throw new UnauthenticatedError("the token has no usable subject");
  return { userId, roles: rolesFrom(roles) };
}

/** A verified token is trusted again without verifying for at most this long, and never past its expiry. */
const VERIFIED_TTL_MS = 60_000;

/**
 * Bearer JWTs verified with jose: HS256 with a shared secret, or RS256/ES256 keys from a JWKS
 * URL. Issuer, audience and expiry are checked; unsigned (alg "none") tokens never verify.
 * Callers send the same token on every call, so verified tokens are remembered (by their exact
 * text, signature included) until they expire or a minute has passed: verifying cost a
 * measurable share of a cheap read's CPU.
 */
export class JwtAuthenticator implements Authenticator {
  private readonly key;
  private readonly algorithms: string[];
  private readonly verified = new LRUCache<string, { principal: Principal; expiresAt: number }>({ max: 10_000 });

  constructor(
    key: JwtKey,
    private readonly issuer: string,
    private readonly audience: string,
  ) {
    this.key = "secret" in key ? key.secret : createRemoteJWKSet(new URL(key.jwksUrl));
    this.algorithms = "secret" in key ? ["HS256"] : ["RS256", "ES256", "PS256", "EdDSA"];
  }

  async authenticate(headers: Headers): Promise<Principal> {
    const header = headers.get("authorization");
    if (!header) throw new UnauthenticatedError("an authorization header with a bearer token is required");
    const match = /^Bearer ([\w-]+\.[\w-]+\.[\w-]*)$/.exec(header.trim());
    if (!match) throw new UnauthenticatedError('the authorization header must be "Bearer <JWT>"');
    const token = match[1]!;
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now()) return known.principal;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key as Parameters<typeof jwtVerify>[1], {
        issuer: this.issuer,
        audience: this.audience,
        algorithms: this.algorithms,
      }));
    } catch (error) {
      throw new UnauthenticatedError(`invalid token: ${describe(error)}`);
    }
    const principal = principalOf(payload.sub, payload.roles ?? payload.role);
    const expiresAt = Math.min(Date.now() + VERIFIED_TTL_MS, payload.exp === undefined ? Infinity : payload.exp * 1000);
    this.verified.set(token, { principal, expiresAt });
    return principal;
  }
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "expired";
  if (error instanceof errors.JWTClaimValidationFailed) return `claim "${error.claim}" ${error.reason === "check_failed" ? "does not match" : error.reason}`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return "signature does not verify";
  if (error instanceof errors.JOSEAlgNotAllowed) return "algorithm not allowed";
  return "malformed";
}

/**
 * Behind a trusted API gateway that has already authenticated the caller: the user id and roles
 * come from headers it sets. Only for deployments where nothing else can reach the service.
 */
export class GatewayAuthenticator implements Authenticator {
  async authenticate(headers: Headers): Promise<Principal> {
    const userId = headers.get("x-user-id");
    if (!userId) throw new UnauthenticatedError("x-user-id is missing: the gateway did not authenticate this call");
    return principalOf(userId, headers.get("x-user-roles") ?? "");
  }
}

import { SignJWT } from "jose";

/** The HS256 secret every test app is started with. */
export const TEST_JWT_SECRET = "test-secret-for-the-order-service-0123456789";

/** The key of the idempotency request hashes in every test app. */
export const TEST_IDEMPOTENCY_KEY = "test-idempotency-hash-key-0123456789abcdef";

/** A token the test apps accept; override claims to make bad ones. */
export async function token(
  userId: string,
  roles: string[] = ["customer"],
  options: { secret?: string; issuer?: string; audience?: string; expiresIn?: string | number; claims?: Record<string, unknown> } = {},
) {
  return new SignJWT({ roles, ...options.claims })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(userId)
    .setIssuer(options.issuer ?? "order-service")
    .setAudience(options.audience ?? "order-service")
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "1h")
    .sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

/** What the tests act as unless they say otherwise: an operator with the admin role. */
export const ADMIN_USER = "ops-1";
export const adminToken = await token(ADMIN_USER, ["admin"]);

/** A marketplace seller's token: the seller role and the seller id it fulfils for. */
export const sellerToken = (userId: string, sellerId: string) => token(userId, ["seller"], { claims: { seller_id: sellerId } });

/** The key guest cart tokens and order links are signed with in every test app. */
export const TEST_CAPABILITY_KEY = "test-capability-token-key-0123456789abcdef";

import { Code } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { loadConfig } from "../../src/config.js";
import { failure } from "../support/errors.js";
import { startTestApp, unary, type TestApp } from "../support/test-app.js";
import { TEST_JWT_SECRET } from "../support/tokens.js";
import { problems } from "../support/config-problems.js";

const now = () => Math.floor(Date.now() / 1000);

/** An admin token with exactly the time claims given (none unless asked). */
function adminWith(claims: { exp?: number; nbf?: number }): Promise<string> {
  const jwt = new SignJWT({ roles: ["admin"] })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("ops-x")
    .setIssuer("order-service")
    .setAudience("order-service")
    .setIssuedAt();
  if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
  if (claims.nbf !== undefined) jwt.setNotBefore(claims.nbf);
  return jwt.sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

describe("attack: tokens that never expire or are not yet valid", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  const listWith = (bearer: string) => app.connect(OrderService, bearer).listOrders({});

  it("when an admin token has no exp claim, then it is UNAUTHENTICATED and says exp is missing, over Connect and gRPC", async () => {
    const bearer = await adminWith({});
    const error = await failure(listWith(bearer));
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toContain('"exp"');
    await expect(unary(app.grpcClient(OrderService, bearer), "listOrders", {})).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
  });

  it("when a token is not valid before five minutes from now, then it is UNAUTHENTICATED", async () => {
    const error = await failure(listWith(await adminWith({ exp: now() + 600, nbf: now() + 300 })));
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toContain('"nbf"');
  });

  it("when clocks differ by seconds, then a token expired 10 s ago or valid from 10 s on is accepted, and one expired 60 s ago is not", async () => {
    await expect(listWith(await adminWith({ exp: now() - 10 }))).resolves.toBeDefined();
    await expect(listWith(await adminWith({ exp: now() + 600, nbf: now() + 10 }))).resolves.toBeDefined();
    expect((await failure(listWith(await adminWith({ exp: now() - 60 })))).code).toBe(Code.Unauthenticated);
  });

  it("when JWT_CLOCK_TOLERANCE_S is 0, then a token expired 10 s ago is refused", async () => {
    const strict = await startTestApp({ JWT_CLOCK_TOLERANCE_S: "0" });
    try {
      expect((await failure(strict.connect(OrderService, await adminWith({ exp: now() - 10 })).listOrders({}))).code).toBe(
        Code.Unauthenticated,
      );
    } finally {
      await strict.stop();
    }
  });
});

describe("attack: key configuration that silently picks one key over another", () => {
  it("when both JWT_SECRET and JWT_JWKS_URL are set, then start-up refuses", () => {
    expect(problems({ JWT_SECRET: TEST_JWT_SECRET, JWT_JWKS_URL: "https://id.example.com/jwks.json" })).toEqual([
      'JWT_JWKS_URL: set JWT_SECRET or JWT_JWKS_URL, not both (got "https://id.example.com/jwks.json")',
    ]);
  });

  it("when production fetches its keys over plain http, then start-up refuses", () => {
    const found = problems({ APP_ENV: "production", JWT_JWKS_URL: "http://id.example.com/jwks.json" });
    expect(found.some((problem) => problem.startsWith("JWT_JWKS_URL: must be https in production"))).toBe(true);
  });

  it("when the clock tolerance is negative or above 5 minutes, then start-up refuses", () => {
    expect(problems({ JWT_CLOCK_TOLERANCE_S: "-1" })).toHaveLength(1);
    expect(problems({ JWT_CLOCK_TOLERANCE_S: "301" })).toHaveLength(1);
    expect(loadConfig({}).auth.clockToleranceS).toBe(30);
  });
});

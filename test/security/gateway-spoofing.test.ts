import { Code } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { failure, reasonOf } from "../support/errors.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTestApp, unary, type TestApp } from "../support/test-app.js";
import { problems } from "../support/config-problems.js";

const GATEWAY_SECRET = "gateway-shared-secret-0123456789abcdef";

describe("attack: a peer that is not the gateway sends the gateway's identity headers", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      AUTH_MODE: "gateway",
      GATEWAY_SECRET,
      JWT_SECRET: "",
      RATE_LIMIT_PER_SECOND: "5",
      AUTH_FAILURES_PER_MINUTE: "10",
    });
  });
  afterAll(() => app?.stop());

  const as = (headers: Record<string, string>) => app.connect(OrderService, "").listOrders({}, { headers });
  const staff = { "x-user-id": "ops-evil", "x-user-roles": "admin" };

  it("when x-user-roles says admin without the gateway secret, or with a wrong one, then UNAUTHENTICATED over Connect and gRPC", async () => {
    expect((await failure(as(staff))).code).toBe(Code.Unauthenticated);
    const wrong = GATEWAY_SECRET.slice(0, -1) + "X";
    expect((await failure(as({ ...staff, "x-gateway-secret": wrong }))).code).toBe(Code.Unauthenticated);
    const metadata = new grpc.Metadata();
    Object.entries(staff).forEach(([key, value]) => metadata.set(key, value));
    const client = app.grpcClient(OrderService, "");
    const grpcError = await new Promise<grpc.ServiceError>((resolve) =>
      client.listOrders!({}, metadata, (error: grpc.ServiceError) => resolve(error)),
    );
    expect(grpcError.code).toBe(grpc.status.UNAUTHENTICATED);
    await expect(unary(client, "listOrders", {})).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
  });

  it("when the gateway sends its secret, then its x-user-id and x-user-roles are the caller", async () => {
    const placed = await app.connect(OrderService, "").createOrder(createOrderRequest({ userId: "" }), {
      headers: { "x-gateway-secret": GATEWAY_SECRET, "x-user-id": "gw-user", "x-user-roles": "customer" },
    });
    expect(placed.order?.userId).toBe("gw-user");
  });

  it("when one peer rotates x-user-id to escape the rate limit, then it is refused, and after 10 failures its calls are RESOURCE_EXHAUSTED while the gateway still passes", async () => {
    const fresh = await startTestApp({
      AUTH_MODE: "gateway",
      GATEWAY_SECRET,
      JWT_SECRET: "",
      RATE_LIMIT_PER_SECOND: "5",
      AUTH_FAILURES_PER_MINUTE: "10",
    });
    try {
      const call = (headers: Record<string, string>) => fresh.connect(OrderService, "").listOrders({}, { headers });
      const codes: Code[] = [];
      for (let i = 0; i < 10; i++) codes.push((await failure(call({ "x-user-id": `rotating-${i}`, "x-user-roles": "admin" }))).code);
      expect(codes.every((code) => code === Code.Unauthenticated)).toBe(true);
      const limited = await failure(call({ "x-user-id": "rotating-last" }));
      expect(limited.code).toBe(Code.ResourceExhausted);
      expect(reasonOf(limited)).toBe("AUTHENTICATION_FAILURES");
      expect(limited.findDetails(RetryInfoSchema)).toHaveLength(1);
      await expect(call({ "x-gateway-secret": GATEWAY_SECRET, "x-user-id": "gw-user-2" })).resolves.toBeDefined();
    } finally {
      await fresh.stop();
    }
  });
});

describe("gateway mode configuration", () => {
  it("when production runs in gateway mode without GATEWAY_SECRET, then start-up refuses; a short secret is refused anywhere", () => {
    const production = {
      APP_ENV: "production",
      DATABASE_URL: "postgres://db/orders",
      CORS_ORIGINS: "https://shop.example.com",
      IDEMPOTENCY_HASH_KEY: "k".repeat(32),
      ALLOW_SIMULATED_PAYMENTS: "true",
    };
    expect(problems({ ...production, AUTH_MODE: "gateway" })).toEqual([
      "GATEWAY_SECRET: production in gateway mode needs GATEWAY_SECRET, the proof a call came through the gateway",
    ]);
    expect(problems({ ...production, AUTH_MODE: "gateway", GATEWAY_SECRET })).toEqual([]);
    expect(problems({ AUTH_MODE: "gateway", GATEWAY_SECRET: "short" })[0]).toMatch(/^GATEWAY_SECRET: must be at least 32 characters/);
  });
});

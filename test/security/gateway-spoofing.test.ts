import { Code, ConnectError } from "@connectrpc/connect";
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

  it("when a peer without the gateway's secret rotates x-user-id, then every call is refused at authentication, and after 10 failures its calls are RESOURCE_EXHAUSTED while the gateway still passes", async () => {
    const fresh = await startTestApp({
      AUTH_MODE: "gateway",
      GATEWAY_SECRET,
      JWT_SECRET: "",
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

  it("when the gateway forwards more than RATE_LIMIT_PER_SECOND calls of one user, then that user is RATE_LIMITED while another user through the same gateway still passes", async () => {
    const viaGateway = (userId: string) =>
      app.connect(OrderService, "").listOrders({}, { headers: { "x-gateway-secret": GATEWAY_SECRET, "x-user-id": userId } });
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        viaGateway("busy-user").then(
          () => Code[0],
          (e) => Code[failure_code(e)],
        ),
      ),
    );
    expect(answers.filter((code) => code === "ResourceExhausted").length).toBeGreaterThanOrEqual(3);
    const limited = await failure(viaGateway("busy-user"));
    expect(reasonOf(limited)).toBe("RATE_LIMITED");
    await expect(viaGateway("quiet-user")).resolves.toBeDefined();
  });

  describe("a forged or doubled x-seller-id", () => {
    const seller = { "x-gateway-secret": GATEWAY_SECRET, "x-user-id": "clerk-1", "x-user-roles": "seller" };

    it("when x-seller-id comes without the gateway's secret, then UNAUTHENTICATED", async () => {
      const error = await failure(as({ "x-user-id": "clerk-1", "x-user-roles": "seller", "x-seller-id": "seller-north" }));
      expect(error.code).toBe(Code.Unauthenticated);
    });

    it("when a client's own x-seller-id arrives beside the gateway's (two values), then the call is refused over Connect and gRPC, not narrowed to either", async () => {
      const connect = await fetch(`http://127.0.0.1:${app.httpPort}/shop.order.v1.OrderService/ListOrders`, {
        method: "POST",
        headers: [
          ["content-type", "application/json"],
          ...Object.entries(seller),
          ["x-seller-id", "seller-south"],
          ["x-seller-id", "seller-north"],
        ],
        body: "{}",
      });
      expect(((await connect.json()) as { code: string }).code).toBe("unauthenticated");
      const metadata = new grpc.Metadata();
      Object.entries(seller).forEach(([key, value]) => metadata.set(key, value));
      metadata.add("x-seller-id", "seller-south");
      metadata.add("x-seller-id", "seller-north");
      const client = app.grpcClient(OrderService, "");
      const grpcError = await new Promise<grpc.ServiceError | null>((resolve) =>
        client.listOrders!({}, metadata, (error: grpc.ServiceError | null) => resolve(error)),
      );
      expect(grpcError?.code).toBe(grpc.status.UNAUTHENTICATED);
    });

    it("when x-seller-id comes with the secret but without the seller role, then it is ignored: the caller is a customer, reading only its own orders", async () => {
      await app
        .connect(OrderService, "")
        .createOrder(createOrderRequest({ userId: "" }), { headers: { "x-gateway-secret": GATEWAY_SECRET, "x-user-id": "someone-else" } });
      const listed = await as({ "x-gateway-secret": GATEWAY_SECRET, "x-user-id": "plain-customer", "x-seller-id": "seller-north" });
      expect(listed.orders).toEqual([]);
    });
  });
});

const failure_code = (error: unknown) => ConnectError.from(error).code;

describe("gateway mode configuration", () => {
  it("when production runs in gateway mode without GATEWAY_SECRET, then start-up refuses; a short secret is refused anywhere", () => {
    const production = {
      APP_ENV: "production",
      DATABASE_URL: "postgres://db/orders",
      CORS_ORIGINS: "https://shop.example.com",
      IDEMPOTENCY_HASH_KEY: "k".repeat(32),
      CAPABILITY_TOKEN_SECRET: "c".repeat(32),
      ALLOW_SIMULATED_PAYMENTS: "true",
    };
    expect(problems({ ...production, AUTH_MODE: "gateway" })).toEqual([
      "GATEWAY_SECRET: production in gateway mode needs GATEWAY_SECRET, the proof a call came through the gateway",
    ]);
    expect(problems({ ...production, AUTH_MODE: "gateway", GATEWAY_SECRET })).toEqual([]);
    expect(problems({ AUTH_MODE: "gateway", GATEWAY_SECRET: "short" })[0]).toMatch(/^GATEWAY_SECRET: must be at least 32 characters/);
  });
});

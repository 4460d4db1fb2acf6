import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderService, OrderStatus } from "../../gen/shop/order/v1/order_pb.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { ADMIN_USER, TEST_JWT_SECRET, token } from "../support/tokens.js";
import { problems } from "../support/config-problems.js";

/** Everything production insists on, each set the way a careful operator would. */
const PRODUCTION = {
  APP_ENV: "production",
  JWT_SECRET: TEST_JWT_SECRET,
  DATABASE_URL: "postgres://orders@db.internal/orders",
  CORS_ORIGINS: "https://shop.example.com",
  IDEMPOTENCY_HASH_KEY: "idempotency-hash-key-0123456789abcdef",
  CAPABILITY_TOKEN_SECRET: "capability-token-key-0123456789abcdef",
  ALLOW_SIMULATED_PAYMENTS: "true",
};

const without = (name: keyof typeof PRODUCTION) => Object.fromEntries(Object.entries(PRODUCTION).filter(([key]) => key !== name));

describe("attack: a hurried operator ships development conveniences to production", () => {
  it("when production is started with nothing but APP_ENV, then start-up names every missing setting", () => {
    const found = problems({ APP_ENV: "production" }).map((problem) => problem.split(":")[0]);
    expect(found.sort()).toEqual([
      "ALLOW_SIMULATED_PAYMENTS",
      "CAPABILITY_TOKEN_SECRET",
      "CORS_ORIGINS",
      "DATABASE_URL",
      "IDEMPOTENCY_HASH_KEY",
      "JWT_SECRET",
    ]);
    expect(problems(PRODUCTION)).toEqual([]);
  });

  it.each([
    ["DATABASE_URL", "production needs DATABASE_URL; the embedded PostgreSQL is for development"],
    ["CORS_ORIGINS", "production needs the browser origins allowed to call, listed explicitly"],
    ["IDEMPOTENCY_HASH_KEY", "production needs IDEMPOTENCY_HASH_KEY (32+ characters) to key request hashes"],
    [
      "ALLOW_SIMULATED_PAYMENTS",
      "without PAYMENT_SERVICE_URL payments are simulated (any token is captured, no money moves); production needs PAYMENT_SERVICE_URL, or ALLOW_SIMULATED_PAYMENTS=true to run them",
    ],
  ] as const)("when production leaves out %s, then start-up refuses and says why", (name, message) => {
    expect(problems(without(name))).toEqual([`${name}: ${message}`]);
  });

  it("when production allows any origin with CORS_ORIGINS=*, then start-up refuses", () => {
    expect(problems({ ...PRODUCTION, CORS_ORIGINS: "*" })).toEqual([
      'CORS_ORIGINS: "*" is not allowed in production; list the shop\'s origins (got "*")',
    ]);
  });

  it("when production names a Payment service, then simulated payments need no permission; a URL that is not one is refused", () => {
    expect(problems({ ...without("ALLOW_SIMULATED_PAYMENTS"), PAYMENT_SERVICE_URL: "https://payments.internal:50051" })).toEqual([]);
    expect(problems({ PAYMENT_SERVICE_URL: "payments" })[0]).toMatch(/^PAYMENT_SERVICE_URL: /);
  });

  it.each(["PAYMENT_SERVICE_URL", "PRODUCT_SERVICE_URL", "INVENTORY_SERVICE_URL"])(
    "when production calls %s over http://, then start-up refuses: payment tokens would cross the network in clear",
    (name) => {
      expect(problems({ ...PRODUCTION, [name]: "http://dependency.internal:50051" })).toEqual([
        `${name}: must be https in production (payment tokens and prices cross the network), or set ALLOW_PLAINTEXT_DEPENDENCIES=true where a mesh adds mTLS (got "http://dependency.internal:50051")`,
      ]);
      expect(problems({ ...PRODUCTION, [name]: "https://dependency.internal:50051" })).toEqual([]);
      expect(problems({ ...PRODUCTION, [name]: "http://dependency.internal:50051", ALLOW_PLAINTEXT_DEPENDENCIES: "true" })).toEqual([]);
      expect(problems({ [name]: "http://dependency.internal:50051" })).toEqual([]);
    },
  );

  it("when a mesh is trusted with ALLOW_PLAINTEXT_DEPENDENCIES=true, then every start warns which dependencies go without TLS", async () => {
    const lines: string[] = [];
    const app = await startTestApp(
      { ...without("DATABASE_URL"), PAYMENT_SERVICE_URL: "http://127.0.0.1:9", ALLOW_PLAINTEXT_DEPENDENCIES: "true" },
      { logLines: lines },
    );
    await app.stop();
    const warned = lines.map((line) => JSON.parse(line) as { level: number; msg: string; urls?: string[] }).find((l) => l.urls);
    expect(warned).toMatchObject({ level: 40, urls: ["http://127.0.0.1:9"] });
  });

  describe("a production instance", () => {
    let app: TestApp;
    const lines: string[] = [];
    beforeAll(async () => {
      app = await startTestApp({ ...without("DATABASE_URL"), ADMIN_PORT: "0" }, { logLines: lines });
    });
    afterAll(() => app?.stop());

    it("when it starts with simulated payments allowed, then it warns about them on every start", () => {
      const warnings = lines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((line) => line.level === 40);
      expect(warnings.some((line) => line.msg.includes("payments are simulated"))).toBe(true);
    });

    it("when /dev/token or /metrics is asked on the public HTTP port, then 404; /metrics answers on ADMIN_PORT", async () => {
      const base = `http://127.0.0.1:${app.httpPort}`;
      expect((await fetch(`${base}/dev/token?user=victim`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`)).status).toBe(404);
      const admin = await fetch(`http://127.0.0.1:${app.adminPort}/metrics`);
      expect(admin.status).toBe(200);
      expect(await admin.text()).toContain("rpc_server_duration_seconds");
    });

    it("when a browser from another origin asks, then CORS does not allow it; the shop's origin is allowed", async () => {
      const preflight = (origin: string) =>
        fetch(`http://127.0.0.1:${app.httpPort}/shop.order.v1.OrderService/GetOrder`, {
          method: "OPTIONS",
          headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization" },
        });
      expect((await preflight("https://evil.example.com")).headers.get("access-control-allow-origin")).toBeNull();
      expect((await preflight("https://shop.example.com")).headers.get("access-control-allow-origin")).toBe("https://shop.example.com");
    });

    it("when grpcurl asks for reflection, then it is off (UNIMPLEMENTED) unless GRPC_REFLECTION=true", async () => {
      const { ServerReflection } = await import("../../gen/grpc/reflection/v1/reflection_pb.js");
      const call = app.grpcClient(ServerReflection).serverReflectionInfo!() as grpc.ClientDuplexStream<unknown, unknown>;
      const code = await new Promise<number>((resolve) => {
        call.once("data", () => resolve(0));
        call.once("error", (error: grpc.ServiceError) => resolve(error.code));
        call.write({ messageRequest: { case: "listServices", value: "" } });
      });
      call.end();
      expect(code).toBe(grpc.status.UNIMPLEMENTED);
    });
  });
});

describe("attack: learning staff user ids from a customer's order history", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  it("when a customer reads the status history, then staff changes name the role 'staff', the customer's own name them, and staff see the ids", async () => {
    const customer = app.connect(OrderService, await token("history-owner"));
    const order = (await customer.createOrder(createOrderRequest({ userId: "" }))).order!;
    await app.connect(OrderService).updateOrderStatus({ requestId: randomUUID(), orderId: order.id, status: OrderStatus.CONFIRMED });
    await customer.cancelOrder({ requestId: randomUUID(), orderId: order.id, reason: "changed my mind" });

    const seenByCustomer = (await customer.getOrderStatus({ orderId: order.id })).history.map((change) => change.actor);
    expect(seenByCustomer).toEqual(["history-owner", "staff", "history-owner"]);
    const seenByStaff = (await app.connect(OrderService).getOrderStatus({ orderId: order.id })).history.map((change) => change.actor);
    expect(seenByStaff).toEqual(["history-owner", ADMIN_USER, "history-owner"]);
  });
});

import { fromBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { Code, ConnectError } from "@connectrpc/connect";
import { Kafka } from "kafkajs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/google/rpc/status_pb.js";
import { OrderService, OrderStatus, type CreateOrderResponse, type GetOrderResponse } from "../../gen/shop/order/v1/order_pb.js";
import { HealthCheckResponse_ServingStatus, Health } from "../../gen/health/v1/health_pb.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startProductTestServer } from "../support/catalog-test-server.js";
import { startTestApp, unary, type TestApp } from "../support/test-app.js";

function statusDetails(error: grpc.ServiceError) {
  const [bin] = error.metadata.get("grpc-status-details-bin") as Buffer[];
  return fromBinary(StatusSchema, bin!);
}

describe("foundation: one service over gRPC and Connect, on real PostgreSQL and Kafka", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ MAX_MESSAGE_BYTES: String(64 * 1024) });
  });
  afterAll(() => app?.stop());

  it("when an order is created over gRPC, then Connect reads the same order from PostgreSQL", async () => {
    const orders = app.grpcClient(OrderService);
    const created = await unary<CreateOrderResponse>(orders, "createOrder", createOrderRequest());
    expect(created.order?.orderNumber).toMatch(/^ORD-\d{4}-\d{6}$/);
    expect(created.order?.total).toMatchObject({ currencyCode: "USD", amountMinor: 5891n });

    const read = await app.connect(OrderService).getOrder({ orderId: created.order!.id });
    expect(read.order).toEqual(created.order);

    const db = new pg.Client({ connectionString: app.databaseUrl });
    await db.connect();
    const { rows } = await db.query(
      `select o.status, (select count(*) from order_items i where i.order_id = o.id)::int as items,
              (select count(*) from order_status_history h where h.order_id = o.id)::int as history,
              (select count(*) from outbox_events e where e.aggregate_id = o.id::text)::int as events
       from orders o where o.id = $1`,
      [created.order!.id],
    );
    await db.end();
    // OrderCreated, an OrderItemCreated per item, and its fulfilment order's Created and (card) Held.
    expect(rows).toEqual([{ status: "PENDING", items: 2, history: 1, events: 5 }]);
  });

  it("when an order is created over Connect, then gRPC and gRPC-Web read it back", async () => {
    const created = await app.connect(OrderService).createOrder(createOrderRequest());
    const viaGrpc = await unary<GetOrderResponse>(app.grpcClient(OrderService), "getOrder", { orderId: created.order!.id });
    const viaGrpcWeb = await app.grpcWeb(OrderService).getOrder({ orderId: created.order!.id });
    expect(viaGrpc.order?.status).toBe(OrderStatus.PENDING);
    expect(viaGrpcWeb.order).toEqual(created.order);
  });

  it("when a request is invalid, then gRPC answers INVALID_ARGUMENT with every field violation in the details", async () => {
    const error = await unary(
      app.grpcClient(OrderService),
      "createOrder",
      createOrderRequest({ items: [], customer: { email: "nope" } }),
    ).catch((e: grpc.ServiceError) => e);
    expect((error as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    const status = statusDetails(error as grpc.ServiceError);
    const badRequest = status.details.find((d) => d.typeUrl.endsWith("google.rpc.BadRequest"));
    const fields = fromBinary(BadRequestSchema, badRequest!.value).fieldViolations.map((v) => v.field);
    expect(fields).toEqual(expect.arrayContaining(["items", "customer.email", "customer.first_name"]));
  });

  it("when an order does not exist, then both transports answer NOT_FOUND with the reason", async () => {
    const missing = "00000000-0000-4000-8000-000000000000";
    const error = await app
      .connect(OrderService)
      .getOrder({ orderId: missing })
      .catch((e) => ConnectError.from(e));
    expect((error as ConnectError).code).toBe(Code.NotFound);
    expect((error as ConnectError).findDetails(ErrorInfoSchema)[0]?.reason).toBe("ORDER_NOT_FOUND");
    const grpcError = await unary(app.grpcClient(OrderService), "getOrder", { orderId: missing }).catch((e: grpc.ServiceError) => e);
    expect((grpcError as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
  });

  it("when a method does not exist, then gRPC answers UNIMPLEMENTED and Connect answers 404", async () => {
    const client = new grpc.Client(`127.0.0.1:${app.grpcPort}`, grpc.credentials.createInsecure());
    const code = await new Promise<number>((resolve) =>
      client.makeUnaryRequest(
        "/shop.order.v1.OrderService/NoSuchMethod",
        (x: Buffer) => x,
        (x: Buffer) => x,
        Buffer.alloc(0),
        (error) => resolve(error!.code),
      ),
    );
    client.close();
    expect(code).toBe(grpc.status.UNIMPLEMENTED);
    const response = await fetch(`http://127.0.0.1:${app.httpPort}/shop.order.v1.OrderService/NoSuchMethod`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(response.status).toBe(404);
  });

  it("when a message is larger than MAX_MESSAGE_BYTES, then both transports answer RESOURCE_EXHAUSTED", async () => {
    const huge = createOrderRequest({ notes: "x".repeat(100 * 1024) });
    const grpcError = await unary(app.grpcClient(OrderService), "createOrder", huge).catch((e: grpc.ServiceError) => e);
    expect((grpcError as grpc.ServiceError).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const connectError = await app
      .connect(OrderService)
      .createOrder(huge)
      .catch((e) => ConnectError.from(e));
    expect((connectError as ConnectError).code).toBe(Code.ResourceExhausted);
  });

  it("when health is asked, then gRPC health and /readyz report PostgreSQL and Kafka up", { timeout: 30_000 }, async () => {
    const health = app.grpcClient(Health);
    // Kafka connects in the background; under load the first probe can come before it is up.
    const kafkaStatus = async () => (await unary<{ status: number }>(health, "check", { service: "kafka" })).status;
    await expect.poll(kafkaStatus, { timeout: 15_000, interval: 500 }).toBe(HealthCheckResponse_ServingStatus.SERVING);
    for (const service of ["", "shop.order.v1.OrderService", "postgres"]) {
      const response = await unary<{ status: number }>(health, "check", { service });
      expect(response.status, service).toBe(HealthCheckResponse_ServingStatus.SERVING);
    }
    const ready = await fetch(`http://127.0.0.1:${app.httpPort}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, dependencies: { postgres: "up", kafka: "up" } });
    expect((await fetch(`http://127.0.0.1:${app.httpPort}/healthz`)).status).toBe(200);
  });

  it("when the service starts with Kafka, then its own topic exists on the broker", async () => {
    const admin = new Kafka({ brokers: inject("kafkaBrokers").split(","), logLevel: 0 }).admin();
    await admin.connect();
    try {
      // The service creates it in the background at start.
      await expect.poll(() => admin.listTopics(), { timeout: 15_000 }).toContain(app.topic);
    } finally {
      await admin.disconnect();
    }
  });

  it("when reflection is asked, then it lists the order, cart, health and reflection services", async () => {
    const { ServerReflection } = await import("../../gen/grpc/reflection/v1/reflection_pb.js");
    const client = app.grpcClient(ServerReflection);
    type Reply = { messageResponse: { value: { service: { name: string }[] } } };
    const call = client.serverReflectionInfo!() as grpc.ClientDuplexStream<unknown, Reply>;
    const response = new Promise<string[]>((resolve) =>
      call.once("data", (message: Reply) => resolve(message.messageResponse.value.service.map((s) => s.name))),
    );
    call.write({ messageRequest: { case: "listServices", value: "" } });
    const names = await response;
    call.end();
    expect(names).toEqual(
      expect.arrayContaining([
        "shop.order.v1.OrderService",
        "shop.cart.v1.CartService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]),
    );
  });
});

describe("deadlines and unreachable dependencies", () => {
  it("when a gRPC client cancels a call whose dependency hangs, then the service stops its call to the dependency at once", async () => {
    const products = await startProductTestServer({ kind: "hang" });
    const app = await startTestApp({ PRODUCT_SERVICE_URL: products.url, RPC_DEFAULT_TIMEOUT_MS: "30000", DEPENDENCY_TIMEOUT_MS: "30000" });
    try {
      const request = createOrderRequest({ items: [{ productId: "prod-mug", quantity: 1 }] });
      const call = app.grpcClient(OrderService).createOrder!(request, new grpc.Metadata(), () => undefined) as grpc.ClientUnaryCall;
      await expect.poll(() => products.script.calls, { timeout: 5_000 }).toBe(1);
      call.cancel();
      await expect.poll(() => products.script.aborted, { timeout: 1_500 }).toBe(1);
    } finally {
      await app.stop();
      products.stop();
    }
  });

  it("when the client sends no deadline and a dependency hangs, then the server default deadline answers DEADLINE_EXCEEDED", async () => {
    const products = await startProductTestServer({ kind: "hang" });
    const app = await startTestApp({ PRODUCT_SERVICE_URL: products.url, RPC_DEFAULT_TIMEOUT_MS: "300", DEPENDENCY_TIMEOUT_MS: "10000" });
    try {
      const started = Date.now();
      const error = await unary(
        app.grpcClient(OrderService),
        "createOrder",
        createOrderRequest({ items: [{ productId: "prod-mug", quantity: 1 }] }),
        {},
      ).catch((e: grpc.ServiceError) => e);
      expect((error as grpc.ServiceError).code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await app.stop();
      products.stop();
    }
  });

  it("when the client's deadline is longer than the server default, then the client's deadline applies", async () => {
    const products = await startProductTestServer({ kind: "delay", ms: 500 });
    const app = await startTestApp({ PRODUCT_SERVICE_URL: products.url, RPC_DEFAULT_TIMEOUT_MS: "100" });
    try {
      const created = await unary<CreateOrderResponse>(
        app.grpcClient(OrderService),
        "createOrder",
        createOrderRequest({ items: [{ productId: "prod-mug", quantity: 1 }] }),
        { deadline: Date.now() + 5_000 },
      );
      expect(created.order?.items).toHaveLength(1);
    } finally {
      await app.stop();
      products.stop();
    }
  });

  it("when the product service is down, then CreateOrder answers UNAVAILABLE with retry info", async () => {
    const products = await startProductTestServer({ kind: "fail", code: Code.Unavailable });
    const app = await startTestApp({ PRODUCT_SERVICE_URL: products.url });
    try {
      const error = await app
        .connect(OrderService)
        .createOrder(createOrderRequest())
        .catch((e) => ConnectError.from(e));
      expect((error as ConnectError).code).toBe(Code.Unavailable);
      expect((error as ConnectError).findDetails(ErrorInfoSchema)[0]?.reason).toBe("DEPENDENCY_UNAVAILABLE");
    } finally {
      await app.stop();
      products.stop();
    }
  });
});

describe("graceful shutdown", () => {
  it("when the service stops during a call, then the call in flight still completes", async () => {
    const products = await startProductTestServer({ kind: "delay", ms: 400 });
    const app = await startTestApp({ PRODUCT_SERVICE_URL: products.url });
    try {
      const inFlight = unary<CreateOrderResponse>(
        app.grpcClient(OrderService),
        "createOrder",
        createOrderRequest({ items: [{ productId: "prod-mug", quantity: 1 }] }),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      const stopping = app.stop();
      const created = await inFlight;
      await stopping;
      expect(created.order?.status).toBe(OrderStatus.PENDING);
    } finally {
      products.stop();
    }
  });
});

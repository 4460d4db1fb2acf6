import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { Code, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QuotaFailureSchema } from "../../gen/google/rpc/error_details_pb.js";
import { OrderService, OrderStatus, type WatchOrderResponse } from "../../gen/shop/order/v1/order_pb.js";
import { failure } from "../support/errors.js";
import { createOrderRequest } from "../support/fixtures.js";
import { grpcDetails } from "../support/grpc-details.js";
import { grpcAuthorize, startTestApp, type TestApp } from "../support/test-app.js";
import { token } from "../support/tokens.js";
import { grpcServiceDefinition } from "../../src/platform/transport/grpc-adapter.js";

const rid = () => randomUUID();

/** The first message of a stream, or the error that ended it first. */
function firstOfGrpcStream(stream: grpc.ClientReadableStream<unknown>): Promise<{ ok: true } | { ok: false; error: grpc.ServiceError }> {
  return new Promise((resolve) => {
    stream.once("data", () => resolve({ ok: true }));
    stream.once("error", (error: grpc.ServiceError) => resolve({ ok: false, error }));
  });
}

async function collect(
  stream: AsyncIterable<WatchOrderResponse>,
  until?: (r: WatchOrderResponse) => boolean,
): Promise<WatchOrderResponse[]> {
  const seen: WatchOrderResponse[] = [];
  for await (const response of stream) {
    seen.push(response);
    if (until?.(response)) break;
  }
  return seen;
}

describe("attack: exhausting the service with WatchOrder streams", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ WATCH_MAX_STREAMS_PER_CALLER: "10", WATCH_MAX_STREAMS: "25" });
  });
  afterAll(() => app?.stop());

  it("when one caller opens 2,000 streams, then 10 are served and the rest get RESOURCE_EXHAUSTED with a QuotaFailure, and another caller still gets in", async () => {
    const attacker = await token("stream-hog");
    const order = (await app.connect(OrderService).createOrder(createOrderRequest({ userId: "stream-hog" }))).order!;
    const Constructor = grpc.makeGenericClientConstructor(grpcServiceDefinition(OrderService), "OrderService");
    const client = new Constructor(`127.0.0.1:${app.grpcPort}`, grpc.credentials.createInsecure(), {
      interceptors: grpcAuthorize(attacker),
    });
    const streams: grpc.ClientReadableStream<unknown>[] = Array.from({ length: 2_000 }, () => client.watchOrder!({ orderId: order.id }));
    try {
      const outcomes = await Promise.all(streams.map(firstOfGrpcStream));
      const served = outcomes.filter((o) => o.ok).length;
      const refused = outcomes.flatMap((o) => (o.ok ? [] : [o.error]));
      expect(served).toBe(10);
      expect(refused).toHaveLength(1_990);
      expect(new Set(refused.map((e) => e.code))).toEqual(new Set([grpc.status.RESOURCE_EXHAUSTED]));
      expect(grpcDetails(refused[0]!, QuotaFailureSchema)).toHaveLength(1);

      const other = app.connect(OrderService, await token("patient-user"));
      const own = (await other.createOrder(createOrderRequest({ userId: "patient-user" }))).order!;
      const controller = new AbortController();
      const first = await collect(other.watchOrder({ orderId: own.id }, { signal: controller.signal }), () => true);
      expect(first[0]?.order?.id).toBe(own.id);
      controller.abort();
    } finally {
      streams.forEach((stream) => stream.cancel());
      client.close();
    }
    // Cancelled streams give their places back.
    await expect
      .poll(async () => {
        const controller = new AbortController();
        const seen = await collect(
          app.connect(OrderService, attacker).watchOrder({ orderId: order.id }, { signal: controller.signal }),
          () => true,
        ).catch(() => []);
        controller.abort();
        return seen.length;
      })
      .toBe(1);
  });

  it("when many callers together reach WATCH_MAX_STREAMS, then the next stream is RESOURCE_EXHAUSTED whoever asks", async () => {
    const controller = new AbortController();
    const open: Promise<unknown>[] = [];
    const clients: Client<typeof OrderService>[] = [];
    try {
      for (let caller = 0; caller < 3; caller++) {
        const userId = `crowd-${caller}`;
        const client = app.connect(OrderService, await token(userId));
        clients.push(client);
        const order = (await client.createOrder(createOrderRequest({ userId }))).order!;
        for (let i = 0; i < 10; i++) {
          const stream = client.watchOrder({ orderId: order.id }, { signal: controller.signal })[Symbol.asyncIterator]();
          await stream.next().catch(() => undefined);
          open.push(stream.next().catch(() => undefined));
        }
      }
      const late = app.connect(OrderService, await token("late-user"));
      const order = (await late.createOrder(createOrderRequest({ userId: "late-user" }))).order!;
      const error = await failure(collect(late.watchOrder({ orderId: order.id })));
      expect(error.code).toBe(Code.ResourceExhausted);
      expect(error.findDetails(QuotaFailureSchema)[0]?.violations[0]?.subject).toBe("WatchOrder streams in this process");
    } finally {
      controller.abort();
      await Promise.all(open);
    }
  });
});

describe("WatchOrder ends, resumes and keeps idle streams alive", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ WATCH_MAX_LIFETIME_MS: "1500", WATCH_HEARTBEAT_MS: "200" });
  });
  afterAll(() => app?.stop());

  it("when the order is DELIVERED, then the stream ends", async () => {
    const orders = app.connect(OrderService);
    // UPI: a card order would wait for its capture before it ships.
    const order = (
      await orders.createOrder(createOrderRequest({ paymentMethod: { method: { case: "upi" as const, value: { vpa: "ann@okbank" } } } }))
    ).order!;
    const watching = collect(orders.watchOrder({ orderId: order.id }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const status of [OrderStatus.CONFIRMED, OrderStatus.PROCESSING, OrderStatus.SHIPPED, OrderStatus.DELIVERED]) {
      await orders.updateOrderStatus({ requestId: rid(), orderId: order.id, status, trackingNumber: "1Z999" });
    }
    const seen = (await watching).filter((r) => r.order);
    expect(seen.at(-1)?.order?.status).toBe(OrderStatus.DELIVERED);
  });

  it("when a stream is idle, then heartbeats arrive; when it reaches its maximum lifetime, it ends cleanly and resumes from the last version seen", async () => {
    const orders = app.connect(OrderService);
    const order = (await orders.createOrder(createOrderRequest())).order!;
    const started = Date.now();
    const first = await collect(orders.watchOrder({ orderId: order.id }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(first.filter((r) => r.order)).toHaveLength(1);
    expect(first.filter((r) => r.heartbeat && !r.order).length).toBeGreaterThanOrEqual(3);

    const lastSeen = first.find((r) => r.order)!.order!.version;
    const resumed = orders.watchOrder({ orderId: order.id, fromVersion: lastSeen });
    const next = collect(resumed, (r) => r.order !== undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await orders.updateOrderStatus({ requestId: rid(), orderId: order.id, status: OrderStatus.CONFIRMED });
    const orderMessages = (await next).filter((r) => r.order);
    expect(orderMessages.map((r) => r.order!.version)).toEqual([lastSeen + 1n]);
  });
});

import { randomUUID } from "node:crypto";
import { fromBinary } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { OrderEventSchema } from "../../gen/shop/order/events/v1/order_events_pb.js";
import { OrderService, OrderStatus, type Order } from "../../gen/shop/order/v1/order_pb.js";
import { query } from "../support/db.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startConsumer, type Received } from "../support/kafka-consumer.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

const rid = () => randomUUID();
const typeOf = (message: Received) => message.headers.ce_type?.replace("shop.order.v1.", "");

async function walkToDelivered(orders: Client<typeof OrderService>, order: Order) {
  const move = (status: OrderStatus, extra = {}) => orders.updateOrderStatus({ requestId: rid(), orderId: order.id, status, ...extra });
  await move(OrderStatus.CONFIRMED);
  await orders.payOrder({ requestId: rid(), orderId: order.id, paymentMethod: createOrderRequest().paymentMethod });
  await move(OrderStatus.PROCESSING);
  await move(OrderStatus.SHIPPED, { trackingNumber: "TRK-1", carrier: "UPS" });
  await move(OrderStatus.DELIVERED);
}

describe("order events on a real Kafka broker", () => {
  const topic = `orders.events.${randomUUID().slice(0, 8)}`;
  let app: TestApp;
  let orders: Client<typeof OrderService>;
  beforeAll(async () => {
    app = await startTestApp({ KAFKA_TOPIC: topic });
    orders = app.connect(OrderService);
  });
  afterAll(() => app?.stop());

  it("when an order lives its whole life, then a consumer gets every event in order with CloudEvents headers and decodable values", async () => {
    const consumer = await startConsumer(inject("kafkaBrokers"), topic);
    try {
      const order = (await orders.createOrder(createOrderRequest())).order!;
      await walkToDelivered(orders, order);
      const mine = (messages: Received[]) => messages.filter((m) => m.key === order.id);
      const received = mine(await consumer.until((all) => mine(all).some((m) => typeOf(m) === "OrderCompleted")));

      const outbox = await query<{ event_id: string; event_type: string }>(
        app.databaseUrl,
        `select event_id, event_type from outbox_events where aggregate_id = $1 order by id`,
        [order.id],
      );
      expect(received.map((m) => m.headers.ce_id)).toEqual(outbox.map((row) => row.event_id));
      // Its fulfilment's own events, in the same stream: a card order's held, released by the capture, one parcel.
      const fulfilment = (type: string | undefined) => /^(Fulfillment|Shipment)/.test(type ?? "");
      expect(received.map(typeOf).filter(fulfilment)).toEqual([
        "FulfillmentOrderCreated",
        "FulfillmentOrderHeld",
        "FulfillmentOrderReleased",
        "ShipmentCreated",
        "ShipmentInTransit",
        "ShipmentDelivered",
      ]);
      // Two items: each is created, and each of its moves is an event of its own.
      expect(received.map(typeOf).filter((type) => !fulfilment(type))).toEqual([
        "OrderCreated",
        "OrderItemCreated",
        "OrderItemCreated",
        "OrderStatusChanged",
        "OrderStatusChanged",
        "PaymentCaptured",
        "OrderPaid",
        "OrderStatusChanged",
        "OrderItemStatusChanged",
        "OrderItemStatusChanged",
        "OrderStatusChanged",
        "OrderItemStatusChanged",
        "OrderItemStatusChanged",
        "OrderShipped",
        "OrderStatusChanged",
        "OrderItemStatusChanged",
        "OrderItemStatusChanged",
        "OrderDelivered",
        "OrderCompleted",
      ]);
      expect(new Set(received.map((m) => m.partition)).size).toBe(1);

      const versions: bigint[] = [];
      // The order's stream is numbered 1, 2, 3, ... in the payload and the ce_sequence header alike.
      expect(received.map((m) => fromBinary(OrderEventSchema, m.value).sequence)).toEqual(received.map((_, i) => BigInt(i + 1)));
      expect(received.map((m) => m.headers.ce_sequence)).toEqual(received.map((_, i) => String(i + 1)));
      for (const message of received) {
        const event = fromBinary(OrderEventSchema, message.value);
        expect(message.headers).toMatchObject({
          ce_specversion: "1.0",
          ce_id: event.eventId,
          ce_source: "/order-service",
          ce_type: `shop.order.v1.${event.payload.case![0]!.toUpperCase()}${event.payload.case!.slice(1)}`,
          ce_subject: order.id,
          ce_dataschema: "urn:proto:shop.order.events.v1.OrderEvent",
          "content-type": "application/protobuf; proto=shop.order.events.v1.OrderEvent",
          ce_sequencetype: "Integer",
        });
        expect(new Date(message.headers.ce_time!).getTime()).toBeGreaterThan(0);
        expect(event).toMatchObject({ orderId: order.id, orderNumber: order.orderNumber, userId: "user-1" });
        expect(event.total?.amountMinor).toBe(5891n);
        versions.push(event.orderVersion);
      }
      expect(versions).toEqual([...versions].sort((a, b) => Number(a - b)));
      const shipped = fromBinary(OrderEventSchema, received.find((m) => typeOf(m) === "OrderShipped")!.value);
      expect(shipped.payload).toMatchObject({ case: "orderShipped", value: { trackingNumber: "TRK-1", carrier: "UPS" } });

      const published = await query<{ n: number }>(
        app.databaseUrl,
        `select count(*)::int as n from outbox_events where published_at is null`,
      );
      expect(published[0]?.n).toBe(0);
    } finally {
      await consumer.stop();
    }
  });

  it("when /readyz and /metrics are asked, then they report the outbox backlog, lag and what was published", async () => {
    const body = (await (await fetch(`http://127.0.0.1:${app.httpPort}/readyz`)).json()) as { outbox?: unknown };
    expect(body.outbox).toMatchObject({ backlog: 0, oldestUnpublishedMs: 0, lastPublishedAt: expect.any(String) });
    const metrics = await (await fetch(`http://127.0.0.1:${app.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/^outbox_backlog_events 0$/m);
    expect(metrics).toMatch(/^outbox_oldest_unpublished_seconds 0$/m);
    // The order's 18 events and its fulfilment's 6.
    expect(metrics).toMatch(/^outbox_published_events_total 25$/m);
    expect(metrics).toMatch(/^process_resident_memory_bytes \d+/m);
  });
});

describe("JSON encoding for consumers that want it", () => {
  it("when EVENT_ENCODING is json, then the value is the event in protobuf JSON", async () => {
    const topic = `orders.json.${randomUUID().slice(0, 8)}`;
    const app = await startTestApp({ KAFKA_TOPIC: topic, EVENT_ENCODING: "json" });
    const consumer = await startConsumer(inject("kafkaBrokers"), topic);
    try {
      const order = (await app.connect(OrderService).createOrder(createOrderRequest())).order!;
      const [message] = await consumer.until((all) => all.length >= 1);
      expect(message!.headers["content-type"]).toBe("application/json");
      expect(JSON.parse(message!.value.toString())).toMatchObject({
        orderId: order.id,
        orderVersion: "1",
        sequence: "1",
        status: "ORDER_STATUS_PENDING",
        orderCreated: { items: [{ productId: "prod-mug" }, { productId: "prod-tee" }] },
      });
    } finally {
      await consumer.stop();
      await app.stop();
    }
  });
});

describe("two instances on one database", () => {
  const topic = `orders.pair.${randomUUID().slice(0, 8)}`;
  let first: TestApp;
  let second: TestApp;
  beforeAll(async () => {
    first = await startTestApp({ KAFKA_TOPIC: topic });
    second = await startTestApp({ KAFKA_TOPIC: topic }, { databaseUrl: first.databaseUrl });
  });
  afterAll(async () => {
    await second?.stop();
    await first?.stop();
  });

  it("when both relays run while orders change through both, then each order's events arrive in commit order", async () => {
    const consumer = await startConsumer(inject("kafkaBrokers"), topic);
    try {
      const apps = [first.connect(OrderService), second.connect(OrderService)];
      const placed = await Promise.all(
        Array.from({ length: 10 }, (_, i) => apps[i % 2]!.createOrder(createOrderRequest()).then((r) => r.order!)),
      );
      await Promise.all(
        placed.map(async (order, i) => {
          for (const [step, status] of [OrderStatus.CONFIRMED, OrderStatus.PROCESSING].entries()) {
            await apps[(i + step) % 2]!.updateOrderStatus({ requestId: rid(), orderId: order.id, status });
          }
          await apps[(i + 1) % 2]!.updateOrder({ requestId: rid(), orderId: order.id, notes: "from the other instance" });
        }),
      );
      const outbox = await query<{ aggregate_id: string; event_id: string }>(
        first.databaseUrl,
        `select aggregate_id, event_id from outbox_events order by id`,
      );
      const received = await consumer.until((all) => all.length >= outbox.length);
      expect(received).toHaveLength(outbox.length);
      for (const order of placed) {
        expect(received.filter((m) => m.key === order.id).map((m) => m.headers.ce_id)).toEqual(
          outbox.filter((row) => row.aggregate_id === order.id).map((row) => row.event_id),
        );
      }
    } finally {
      await consumer.stop();
    }
  });

  it("when a status changes through the other instance, then WatchOrder streams it over Connect and gRPC-Web", async () => {
    const order = (await first.connect(OrderService).createOrder(createOrderRequest())).order!;
    const controller = new AbortController();
    const grpcWeb = first.grpcWeb(OrderService);
    const collect = async (client: Client<typeof OrderService>) => {
      const seen: [OrderStatus, string][] = [];
      for await (const update of client.watchOrder({ orderId: order.id }, { signal: controller.signal })) {
        seen.push([update.order!.status, update.eventType]);
        if (update.order!.status === OrderStatus.CANCELLED) break;
      }
      return seen;
    };
    const watching = [collect(first.connect(OrderService)), collect(grpcWeb)];
    await new Promise((resolve) => setTimeout(resolve, 300));
    const other = second.connect(OrderService);
    await other.updateOrderStatus({ requestId: rid(), orderId: order.id, status: OrderStatus.CONFIRMED });
    await other.cancelOrder({ requestId: rid(), orderId: order.id, reason: "watched" });
    const expected = [
      [OrderStatus.PENDING, ""],
      [OrderStatus.CONFIRMED, "shop.order.v1.OrderStatusChanged"],
      [OrderStatus.CANCELLED, "shop.order.v1.OrderCancelled"],
    ];
    expect(await Promise.all(watching)).toEqual([expected, expected]);
  });

  it("when the order is already terminal or missing, then WatchOrder sends it once and ends, or NOT_FOUND", async () => {
    const orders = second.connect(OrderService);
    const order = (await orders.createOrder(createOrderRequest())).order!;
    await orders.cancelOrder({ requestId: rid(), orderId: order.id, reason: "done" });
    const updates = [];
    for await (const update of orders.watchOrder({ orderId: order.id })) updates.push(update.order?.status);
    expect(updates).toEqual([OrderStatus.CANCELLED]);
    const missing = async () => {
      for await (const _ of orders.watchOrder({ orderId: randomUUID() })) break;
    };
    await expect(missing()).rejects.toMatchObject({ code: 5 });
  });
});

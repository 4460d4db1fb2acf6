import { randomUUID } from "node:crypto";
import { Code, type Client } from "@connectrpc/connect";
import { ConfigResourceTypes, Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { OrderService, type Order } from "../../gen/shop/order/v1/order_pb.js";
import { query } from "../support/db.js";
import { failure } from "../support/errors.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startConsumer, type Received } from "../support/kafka-consumer.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { sellerToken, token } from "../support/tokens.js";

const rid = () => randomUUID();
const MAX_ATTEMPTS = 3;

/**
 * What one row the broker keeps refusing did before: the relay retried the same batch forever and
 * every other order's events waited behind it. Now only its own order waits.
 */
describe("fault: an outbox row the broker refuses holds back only its own order", () => {
  const topic = `orders.undeliverable.${randomUUID().slice(0, 8)}`;
  const kafka = new Kafka({ brokers: inject("kafkaBrokers").split(","), clientId: "test-admin", logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  let app: TestApp;
  let orders: Client<typeof OrderService>;
  let consumer: Awaited<ReturnType<typeof startConsumer>>;

  beforeAll(async () => {
    app = await startTestApp({
      KAFKA_TOPIC: topic,
      OUTBOX_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      OUTBOX_RETRY_BACKOFF_MS: "100",
      OUTBOX_POLL_MS: "100",
    });
    orders = app.connect(OrderService);
    consumer = await startConsumer(inject("kafkaBrokers"), topic);
    await admin.connect();
  });
  afterAll(async () => {
    await consumer?.stop();
    await admin.disconnect();
    await app?.stop();
  });

  const typesOf = (orderId: string) => consumer.received.filter((m) => m.key === orderId).map((m) => m.headers.ce_type);
  const arrived = (orderId: string, type: string) => (all: Received[]) => all.some((m) => m.key === orderId && m.headers.ce_type === type);

  async function placed(): Promise<Order> {
    const order = (await orders.createOrder(createOrderRequest())).order!;
    await consumer.until(arrived(order.id, "shop.order.v1.OrderCreated"), 10_000);
    return order;
  }

  /** Rows for `orderId` that the broker will refuse, written as a misconfigured instance would have. */
  async function undeliverable(orderId: string, count: number, rowTopic: string, payload: Buffer) {
    for (let i = 0; i < count; i++) {
      await query(
        app.databaseUrl,
        `insert into outbox_events (event_id, topic, aggregate_id, event_type, payload, occurred_at, next_attempt_at)
         values ($1, $2, $3, 'shop.order.v1.OrderStatusChanged', $4, now(), now())`,
        [randomUUID(), rowTopic, orderId, payload],
      );
    }
  }

  /**
   * Other orders' events still arrive while the refused row is retried. Held back behind it, they
   * would never arrive; the bound is loose because a 2 MiB record's refusals cost seconds on a
   * loaded two-core runner (CI, 2026-12-05), which says nothing about blocking.
   */
  async function othersFlow() {
    for (let i = 0; i < 5; i++) {
      const other = (await orders.createOrder(createOrderRequest())).order!;
      await consumer.until(arrived(other.id, "shop.order.v1.OrderCreated"), 8_000);
    }
  }

  async function parkedEvents(orderId: string) {
    return (await orders.listOrderEvents({ orderId })).events.filter((event) => event.parked);
  }

  async function metric(name: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${app.httpPort}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
  }

  /** The order's own events published after the refused ones, in the order they were written. */
  async function publishedInOrder(orderId: string) {
    const rows = await query<{ id: string; published_at: Date | null }>(
      app.databaseUrl,
      `select id, published_at from outbox_events where aggregate_id = $1 order by id`,
      [orderId],
    );
    expect(rows.every((row) => row.published_at !== null)).toBe(true);
    const times = rows.map((row) => row.published_at!.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  }

  it("when nine rows name a topic the broker does not have, then other orders flow, the rows are parked with their reason, and after the topic exists a retry sends them and the order's later events in order", async () => {
    const blocked = await placed();
    const missing = `orders.missing.${randomUUID().slice(0, 8)}`;
    const [created] = await query<{ payload: Buffer }>(
      app.databaseUrl,
      `select payload from outbox_events where aggregate_id = $1 order by id limit 1`,
      [blocked.id],
    );
    await undeliverable(blocked.id, 9, missing, created!.payload);
    await orders.cancelOrder({ requestId: rid(), orderId: blocked.id, reason: "written after the refused rows" });

    await othersFlow();
    await expect.poll(() => parkedEvents(blocked.id), { timeout: 10_000 }).toHaveLength(1);
    const [parked] = await parkedEvents(blocked.id);
    expect(parked).toMatchObject({ topic: missing, attempts: MAX_ATTEMPTS, published: false });
    expect(parked!.lastError).toContain(`topic "${missing}" does not exist`);
    expect(await metric("outbox_parked_events")).toBe(1);
    expect(await metric("outbox_parked_events_total")).toBeGreaterThanOrEqual(1);
    expect(typesOf(blocked.id)).not.toContain("shop.order.v1.OrderCancelled");

    await admin.createTopics({ topics: [{ topic: missing, numPartitions: 1 }], waitForLeaders: true });
    const retried = await orders.retryOrderEvents({ requestId: rid(), orderId: blocked.id });
    expect(retried.retriedCount).toBe(1);
    const elsewhere = await startConsumer(inject("kafkaBrokers"), missing);
    try {
      await elsewhere.until((all) => all.length === 9, 10_000);
      await consumer.until(arrived(blocked.id, "shop.order.v1.OrderCancelled"), 10_000);
    } finally {
      await elsewhere.stop();
    }
    await publishedInOrder(blocked.id);
    expect(await parkedEvents(blocked.id)).toEqual([]);
  });

  it("when a row is over the topic's max.message.bytes, then other orders flow, it is parked, and once the topic takes it a retry sends it and what followed, in order", async () => {
    const blocked = await placed();
    await undeliverable(blocked.id, 1, topic, Buffer.alloc(2 * 1024 * 1024, 7));
    await orders.cancelOrder({ requestId: rid(), orderId: blocked.id, reason: "written after the refused row" });

    await othersFlow();
    await expect.poll(() => parkedEvents(blocked.id), { timeout: 10_000 }).toHaveLength(1);
    expect((await parkedEvents(blocked.id))[0]!.lastError).toMatch(/larger|too large/i);
    expect(typesOf(blocked.id)).not.toContain("shop.order.v1.OrderCancelled");

    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: "max.message.bytes", value: String(4 * 1024 * 1024) }] },
      ],
    });
    expect((await orders.retryOrderEvents({ requestId: rid(), orderId: blocked.id })).retriedCount).toBe(1);
    await consumer.until(arrived(blocked.id, "shop.order.v1.OrderCancelled"), 10_000);
    const mine = typesOf(blocked.id);
    expect(mine.indexOf("shop.order.v1.OrderCancelled")).toBeGreaterThan(mine.lastIndexOf("shop.order.v1.OrderStatusChanged"));
    await publishedInOrder(blocked.id);
  });

  it("when a customer or a seller asks to retry events, then PERMISSION_DENIED; a retry with nothing parked releases nothing", async () => {
    const order = await placed();
    for (const bearer of [await token(order.userId), await sellerToken("north-clerk", "seller-north")]) {
      expect((await failure(app.connect(OrderService, bearer).retryOrderEvents({ requestId: rid(), orderId: order.id }))).code).toBe(
        Code.PermissionDenied,
      );
    }
    expect((await orders.retryOrderEvents({ requestId: rid(), orderId: order.id })).retriedCount).toBe(0);
  });
});

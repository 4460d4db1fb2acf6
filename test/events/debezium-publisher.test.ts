import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CartService } from "../../gen/shop/cart/v1/cart_pb.js";
import { OrderService, OrderStatus } from "../../gen/shop/order/v1/order_pb.js";
import { checkoutRequest } from "../support/cart-fixtures.js";
import { query } from "../support/db.js";
import { startDebeziumStack, type DebeziumStack } from "../support/debezium.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startConsumer, type Received } from "../support/kafka-consumer.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { adminToken, token } from "../support/tokens.js";

const rid = () => randomUUID();
const TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

/** A record as a consumer compares it: everything but where it landed in the log. */
const comparable = (record: Received) => ({
  key: record.key,
  partition: record.partition,
  value: record.value.toString("hex"),
  headers: Object.fromEntries(Object.entries(record.headers).sort(([a], [b]) => a.localeCompare(b))),
});

/**
 * OUTBOX_PUBLISHER=debezium: Debezium's PostgreSQL connector with the outbox event router, on a
 * real Kafka Connect worker, publishes what the relay publishes. One scenario's outbox is
 * published by Debezium, then the very same rows by the relay, and each event's two records are
 * compared field by field.
 */
describe("Debezium as the outbox publisher", () => {
  const topic = `orders.cdc.${randomUUID().slice(0, 8)}`;
  const cartTopic = `${topic}.carts`;
  let stack: DebeziumStack;
  let app: TestApp | undefined;

  beforeAll(async () => {
    stack = await startDebeziumStack({ kafkaBrokers: inject("kafkaBrokers"), ordersTopic: topic, cartTopic });
    app = await startTestApp({ KAFKA_TOPIC: topic, OUTBOX_PUBLISHER: "debezium" }, { databaseUrl: stack.databaseUrl });
    await stack.register();
  }, 240_000);
  afterAll(async () => {
    await app?.stop();
    await stack?.stop();
  }, 60_000);

  it(
    "when one scenario's outbox is published by Debezium and then by the relay, then each event's two records are equal: key, partition, headers and value bytes",
    { timeout: 120_000 },
    async () => {
      const traced = createClient(
        OrderService,
        createConnectTransport({
          baseUrl: `http://127.0.0.1:${app!.httpPort}`,
          httpVersion: "1.1",
          interceptors: [
            (next) => (request) => (
              request.header.set("authorization", `Bearer ${adminToken}`),
              request.header.set("traceparent", TRACE),
              next(request)
            ),
          ],
        }),
      );
      const orders = app!.connect(OrderService);
      const first = (await traced.createOrder(createOrderRequest())).order!;
      await orders.updateOrderStatus({ requestId: rid(), orderId: first.id, status: OrderStatus.CONFIRMED });
      await orders.cancelOrder({ requestId: rid(), orderId: first.id, reason: "compared" });
      const buyer = `cdc-${randomUUID().slice(0, 8)}`;
      const carts = app!.connect(CartService, await token(buyer));
      await carts.addItem({ requestId: rid(), productId: "prod-mug", quantity: 1 });
      const second = (await carts.checkout(checkoutRequest(""))).order!;

      // A time on the second: Debezium still prints six digits of fraction, as the relay does.
      await query(
        stack.databaseUrl,
        `insert into outbox_events (event_id, topic, aggregate_id, event_type, payload, occurred_at, next_attempt_at, trace_parent)
       values ($1, $2, $3, 'shop.order.v1.OrderUpdated', '\\x0a00', date_trunc('second', now()), now(), $4)`,
        [rid(), topic, first.id, TRACE],
      );
      const rows = await query<{ event_id: string; topic: string }>(stack.databaseUrl, `select event_id, topic from outbox_events`);
      const ordersOut = await startConsumer(inject("kafkaBrokers"), topic);
      const cartsOut = await startConsumer(inject("kafkaBrokers"), cartTopic);
      const all = () => [...ordersOut.received, ...cartsOut.received];
      const copies = (n: number) => () => rows.every((row) => all().filter((r) => r.headers.ce_id === row.event_id).length >= n);
      try {
        await expect.poll(copies(1), { timeout: 30_000 }).toBe(true);
        const byDebezium = all().length;
        expect(byDebezium).toBe(rows.length);

        // The relay publishes the same rows: Debezium marks nothing, so to the relay all are pending.
        await app!.stop();
        app = await startTestApp({ KAFKA_TOPIC: topic }, { databaseUrl: stack.databaseUrl });
        await expect.poll(copies(2), { timeout: 30_000 }).toBe(true);

        for (const row of rows) {
          // Debezium's copy, the relay's, and any repeat at-least-once delivery made: all equal.
          const [debezium, ...others] = all().filter((r) => r.headers.ce_id === row.event_id);
          for (const other of others) expect(comparable(other)).toEqual(comparable(debezium!));
        }
        const sample = ordersOut.received.find((r) => r.key === first.id)!;
        expect(Object.keys(sample.headers).sort()).toEqual([
          "ce_dataschema",
          "ce_id",
          "ce_sequence",
          "ce_sequencetype",
          "ce_source",
          "ce_specversion",
          "ce_subject",
          "ce_time",
          "ce_traceparent",
          "ce_type",
          "content-type",
          "traceparent",
        ]);
        expect(cartsOut.received.find((r) => r.key === buyer)?.headers["content-type"]).toBe(
          "application/protobuf; proto=shop.cart.events.v1.CartEvent",
        );
        // Each order's stream as Debezium sent it: 1, 2, 3, ... in the order they arrived.
        for (const key of [first.id, second.id, buyer]) {
          const firstCopies = new Map(
            all()
              .filter((r) => r.key === key)
              .map((r) => [r.headers.ce_id, Number(r.headers.ce_sequence)]),
          );
          expect([...firstCopies.values()]).toEqual([...firstCopies.values()].map((_, i) => i + 1));
        }
      } finally {
        await ordersOut.stop();
        await cartsOut.stop();
      }
    },
  );

  it(
    "when published rows are deleted, then Debezium emits nothing, and its heartbeat keeps the slot's lag small",
    { timeout: 120_000 },
    async () => {
      // Debezium alone publishes from here on.
      await app!.stop();
      app = await startTestApp({ KAFKA_TOPIC: topic, OUTBOX_PUBLISHER: "debezium" }, { databaseUrl: stack.databaseUrl });
      const out = await startConsumer(inject("kafkaBrokers"), topic);
      try {
        await expect.poll(() => out.received.length, { timeout: 30_000 }).toBeGreaterThan(0);
        await sleep(1_000);
        const before = out.received.length;
        await query(stack.databaseUrl, `update outbox_events set published_at = now(), attempts = attempts + 1`);
        await query(stack.databaseUrl, `delete from outbox_events`);
        // Three heartbeats' time: anything the delete emitted would be here.
        await sleep(3_000);
        expect(out.received.length).toBe(before);
        await expect.poll(async () => (await stack.slot())?.lagBytes ?? Infinity, { timeout: 20_000 }).toBeLessThan(1024 * 1024);
        // Nothing arrived because nothing was sent, not because the connector had stopped: a new
        // event after the heartbeats still arrives.
        expect(await stack.status()).toEqual({ connector: "RUNNING", tasks: ["RUNNING"] });
        const order = (await app.connect(OrderService).createOrder(createOrderRequest())).order!;
        await expect.poll(() => out.received.filter((record) => record.key === order.id).length, { timeout: 30_000 }).toBeGreaterThan(0);
      } finally {
        await out.stop();
      }
    },
  );
});

import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { query, setStock } from "../support/db.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startConsumer } from "../support/kafka-consumer.js";
import { ONE_ITEM_ORDER_CANCELLED, ONE_ITEM_ORDER_CREATED, ownKafka } from "../support/own-kafka.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

/** A broker of this test's own: the outage stops it. */
const broker = ownKafka(19292, "kafka-outage-");
const OUTAGE_MS = 30_000;

describe("Kafka down for 30 s while orders are placed and cancelled", () => {
  const topic = `orders.outage.${randomUUID().slice(0, 8)}`;
  let app: TestApp;
  beforeAll(async () => {
    await broker.start();
    app = await startTestApp({ KAFKA_BROKERS: broker.brokers, KAFKA_TOPIC: topic, OUTBOX_POLL_MS: "200" });
    // Four buyers for 34 s keep half their orders; the reference catalog's 1,000 pairs may run out.
    await setStock(app.databaseUrl, 1_000_000, { productId: "prod-socks" });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await broker.remove();
  });

  it("then orders keep being accepted, the backlog drains after the restart, and each acknowledged order's events arrive complete and in order", async () => {
    const orders = app.connect(OrderService);
    /** What the clients were told: each acknowledged create, and whether its cancel was acknowledged too. */
    const told = new Map<string, { cancelled: boolean }>();
    let duringOutage = 0;
    let down = false;
    let running = true;
    const worker = async (n: number) => {
      for (let i = 0; running; i++) {
        const { order } = await orders.createOrder(createOrderRequest({ items: [{ productId: "prod-socks", quantity: 1 }] }));
        told.set(order!.id, { cancelled: false });
        if (down) duringOutage++;
        // Every other order is cancelled at once: its events must arrive created, then cancelled.
        if ((n + i) % 2 === 0) {
          await orders.cancelOrder({ requestId: randomUUID(), orderId: order!.id, reason: "test" });
          told.set(order!.id, { cancelled: true });
        }
        await sleep(50);
      }
    };
    const workers = Array.from({ length: 4 }, (_, n) => worker(n));
    await sleep(2_000);
    await broker.stop();
    down = true;
    await sleep(OUTAGE_MS);
    const [waiting] = await query<{ n: number }>(
      app.databaseUrl,
      `select count(*)::int as n from outbox_events where published_at is null`,
    );
    await broker.start();
    down = false;
    await sleep(2_000);
    running = false;
    await Promise.all(workers);
    expect(duringOutage).toBeGreaterThan(50);
    expect(waiting!.n).toBeGreaterThan(50);

    // Expected from what the clients did and were told (the event contract's list), not from the outbox.
    const CREATED = ONE_ITEM_ORDER_CREATED;
    const CANCELLED = ONE_ITEM_ORDER_CANCELLED;
    const expected = new Map([...told].map(([orderId, { cancelled }]) => [orderId, cancelled ? CANCELLED : CREATED]));
    const wanted = [...expected.values()].reduce((sum, types) => sum + types.length, 0);
    const consumer = await startConsumer(broker.brokers, topic);
    try {
      const received = await consumer
        .until((all) => new Set(all.map((m) => m.headers.ce_id)).size >= wanted, 120_000)
        .catch(async (error: unknown) => {
          // What held the backlog: the relay's own record of its refusals.
          const held = await query(
            app.databaseUrl,
            `select last_error, count(*)::int as rows, max(attempts) as attempts, count(parked_at)::int as parked
             from outbox_events where published_at is null group by last_error`,
          );
          throw new Error(`${String(error)}; unpublished: ${JSON.stringify(held)}`, { cause: error });
        });
      // Per order, each event's first arrival, in arrival order (a redelivery carries the same ce_id).
      const arrived = new Map<string, string[]>();
      const seen = new Set<string>();
      for (const message of received) {
        if (seen.has(message.headers.ce_id!)) continue;
        seen.add(message.headers.ce_id!);
        arrived.set(message.key, [...(arrived.get(message.key) ?? []), message.headers.ce_type!]);
      }
      console.info(
        `kafka outage: ${told.size} orders (${duringOutage} during ${OUTAGE_MS / 1000} s down), ${wanted} events expected, ${waiting!.n} waiting at restart, ${received.length} records received`,
      );
      const wrong = [...expected].filter(([orderId, types]) => JSON.stringify(arrived.get(orderId)) !== JSON.stringify(types));
      expect(
        wrong.map(
          ([orderId, types]) => `${orderId}: expected ${types.join(", ")}; arrived ${arrived.get(orderId)?.join(", ") ?? "nothing"}`,
        ),
      ).toEqual([]);
      expect([...arrived.keys()].filter((orderId) => !expected.has(orderId))).toEqual([]);
    } finally {
      await consumer.stop();
    }
  }, 240_000);
});

import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderService } from "../gen/shop/order/v1/order_pb.js";
import { query } from "./support/db.js";
import { createOrderRequest } from "./support/fixtures.js";
import { startConsumer } from "./support/kafka-consumer.js";
import { startTestApp, type TestApp } from "./support/test-app.js";

/** A broker of this test's own, so stopping it does not disturb the other test files. */
const PORT = "19292";
const OUTAGE_MS = 30_000;
const env = { ...process.env, KAFKA_PORT: PORT, KAFKA_CONTROLLER_PORT: "19293", KAFKA_DIR: mkdtempSync(join(tmpdir(), "kafka-outage-")) };
// Not execFileSync: the service under test runs in this process, and a broker start blocking its
// event loop for seconds would time its calls out and measure the test, not the outage.
async function kafka(command: "start" | "stop") {
  const script = spawn("bash", ["scripts/kafka.sh", command], { env, stdio: "inherit" });
  const [code] = await once(script, "exit");
  if (code !== 0) throw new Error(`scripts/kafka.sh ${command} exited with ${code}`);
}

describe("Kafka down for 30 s while orders are placed and cancelled", () => {
  const topic = `orders.outage.${randomUUID().slice(0, 8)}`;
  let app: TestApp;
  beforeAll(async () => {
    await kafka("start");
    app = await startTestApp({ KAFKA_BROKERS: `127.0.0.1:${PORT}`, KAFKA_TOPIC: topic, OUTBOX_POLL_MS: "200" });
    // Four buyers for 34 s keep half their orders; the reference catalog's 1,000 pairs may run out.
    await query(app.databaseUrl, `update catalog_products set available = 1000000 where id = 'prod-socks'`);
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await kafka("stop");
    rmSync(env.KAFKA_DIR, { recursive: true, force: true });
  });

  it("then orders keep being accepted, the backlog drains after the restart, and each order's events arrive complete and in order", async () => {
    const orders = app.connect(OrderService);
    const placed: string[] = [];
    let duringOutage = 0;
    let down = false;
    let running = true;
    const worker = async (n: number) => {
      for (let i = 0; running; i++) {
        const { order } = await orders.createOrder(createOrderRequest({ items: [{ productId: "prod-socks", quantity: 1 }] }));
        placed.push(order!.id);
        if (down) duringOutage++;
        // Every other order is cancelled at once: its events must arrive created, then cancelled.
        if ((n + i) % 2 === 0) await orders.cancelOrder({ requestId: randomUUID(), orderId: order!.id, reason: "test" });
        await sleep(50);
      }
    };
    const workers = Array.from({ length: 4 }, (_, n) => worker(n));
    await sleep(2_000);
    await kafka("stop");
    down = true;
    await sleep(OUTAGE_MS);
    const [waiting] = await query<{ n: number }>(app.databaseUrl, `select count(*)::int as n from outbox_events where published_at is null`);
    await kafka("start");
    down = false;
    await sleep(2_000);
    running = false;
    await Promise.all(workers);
    expect(duringOutage).toBeGreaterThan(50);
    expect(waiting!.n).toBeGreaterThan(50);

    const written = await query<{ aggregate_id: string; event_id: string }>(app.databaseUrl, `select aggregate_id, event_id from outbox_events order by id`);
    const consumer = await startConsumer(`127.0.0.1:${PORT}`, topic);
    try {
      const wanted = new Set(written.map((row) => row.event_id));
      const received = await consumer.until((all) => new Set(all.map((m) => m.headers.ce_id)).size >= wanted.size, 120_000);
      console.info(`kafka outage: ${placed.length} orders (${duringOutage} during ${OUTAGE_MS / 1000} s down), ${written.length} events, ${waiting!.n} waiting at restart, ${received.length} received`);
      // Per order, the first arrival of each event is in the order the events were written.
      const arrived = new Map<string, string[]>();
      for (const message of received) {
        const list = arrived.get(message.key) ?? [];
        if (!list.includes(message.headers.ce_id!)) arrived.set(message.key, [...list, message.headers.ce_id!]);
      }
      const expected = new Map<string, string[]>();
      for (const row of written) expected.set(row.aggregate_id, [...(expected.get(row.aggregate_id) ?? []), row.event_id]);
      const outOfOrder = [...expected].filter(([orderId, ids]) => JSON.stringify(arrived.get(orderId)) !== JSON.stringify(ids));
      expect(outOfOrder).toEqual([]);
      expect(placed.filter((id) => !arrived.has(id))).toEqual([]);
    } finally {
      await consumer.stop();
    }
  }, 240_000);
});

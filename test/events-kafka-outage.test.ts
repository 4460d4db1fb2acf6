import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderService } from "../gen/shop/order/v1/order_pb.js";
import { query } from "./support/db.js";
import { createOrderRequest } from "./support/fixtures.js";
import { startConsumer } from "./support/kafka-consumer.js";
import { startTestApp, type TestApp } from "./support/test-app.js";

/** A broker of this test's own, so stopping it does not disturb the other test files. */
const PORT = "19292";
const env = { ...process.env, KAFKA_PORT: PORT, KAFKA_CONTROLLER_PORT: "19293", KAFKA_DIR: mkdtempSync(join(tmpdir(), "kafka-outage-")) };
const kafka = (command: "start" | "stop") => execFileSync("bash", ["scripts/kafka.sh", command], { env, stdio: "inherit" });

describe("Kafka down while orders are placed", () => {
  const topic = `orders.outage.${randomUUID().slice(0, 8)}`;
  let app: TestApp;
  beforeAll(async () => {
    kafka("start");
    app = await startTestApp({ KAFKA_BROKERS: `127.0.0.1:${PORT}`, KAFKA_TOPIC: topic, OUTBOX_POLL_MS: "200" });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    kafka("stop");
    rmSync(env.KAFKA_DIR, { recursive: true, force: true });
  });

  it("when the broker is stopped, 200 orders are placed, and it comes back, then all 200 OrderCreated events arrive", async () => {
    const orders = app.connect(OrderService);
    await orders.createOrder(createOrderRequest({ items: [{ productId: "prod-socks", quantity: 1 }] }));
    kafka("stop");
    const placed: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const created = await Promise.all(
        Array.from({ length: 20 }, () => orders.createOrder(createOrderRequest({ items: [{ productId: "prod-socks", quantity: 1 }] }))),
      );
      placed.push(...created.map((r) => r.order!.id));
    }
    const waiting = await query<{ n: number }>(app.databaseUrl, `select count(*)::int as n from outbox_events where published_at is null`);
    expect(waiting[0]?.n).toBeGreaterThanOrEqual(200);

    kafka("start");
    const consumer = await startConsumer(`127.0.0.1:${PORT}`, topic);
    try {
      const received = await consumer.until((all) => placed.every((id) => all.some((m) => m.key === id)), 90_000);
      const created = received.filter((m) => m.headers.ce_type === "shop.order.v1.OrderCreated");
      expect(placed.filter((id) => !created.some((m) => m.key === id))).toEqual([]);
    } finally {
      await consumer.stop();
    }
  }, 180_000);
});

import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { query, setStock } from "../support/db.js";
import { startDebeziumStack, type DebeziumStack } from "../support/debezium.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startConsumer, type Received } from "../support/kafka-consumer.js";
import { ONE_ITEM_ORDER_CANCELLED, ONE_ITEM_ORDER_CREATED, ownKafka } from "../support/own-kafka.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

/** A broker of this file's own: one test stops it, and Connect's internal topics live there. */
const broker = ownKafka(19392, "debezium-faults-");
const brokers = broker.brokers;
const CREATED = ONE_ITEM_ORDER_CREATED;
const CANCELLED = ONE_ITEM_ORDER_CANCELLED;

/** What a client was told about one order: created, and whether its cancel was acknowledged, refused, or lost with its answer. */
type Told = Map<string, "created" | "cancelled" | "cancel unknown">;

const comparable = (record: Received) => ({
  key: record.key,
  partition: record.partition,
  value: record.value.toString("hex"),
  headers: record.headers,
});

/**
 * OUTBOX_PUBLISHER=debezium under the faults a production cluster sees, while orders keep being
 * placed and cancelled: the Connect worker SIGKILLed and restarted, PostgreSQL restarted, Kafka down
 * for 30 s, the connector paused for a minute. After each, every event the outbox holds arrives,
 * every acknowledged order's events arrive complete and in order, each order's sequence arrives
 * 1, 2, 3, ... and any repeat is an exact copy of the record it repeats.
 */
describe("Debezium as the publisher under faults", () => {
  const topic = `orders.dbzfaults.${randomUUID().slice(0, 8)}`;
  let stack: DebeziumStack;
  let app: TestApp;
  let consumer: Awaited<ReturnType<typeof startConsumer>>;

  beforeAll(async () => {
    await broker.start();
    stack = await startDebeziumStack({ kafkaBrokers: brokers, ordersTopic: topic, cartTopic: `${topic}.carts` });
    app = await startTestApp(
      { KAFKA_BROKERS: brokers, KAFKA_TOPIC: topic, OUTBOX_PUBLISHER: "debezium", OUTBOX_POLL_MS: "200" },
      { databaseUrl: stack.databaseUrl },
    );
    await stack.register();
    await setStock(app.databaseUrl, 1_000_000, { productId: "prod-socks" });
    // Debezium creates the topic with the first event it routes there.
    await app.connect(OrderService).createOrder(createOrderRequest({ items: [{ productId: "prod-socks", quantity: 1 }] }));
    consumer = await startConsumer(brokers, topic);
  }, 300_000);
  afterAll(async () => {
    await consumer?.stop().catch(() => undefined);
    await app?.stop();
    await stack?.stop();
    await broker.remove();
  }, 120_000);

  /** Four buyers place orders and cancel every other one until `fault` has run; calls that fail while it runs are counted. */
  async function underLoad(fault: () => Promise<void>) {
    const [{ n: rowsBefore }] = (await query<{ n: number }>(app.databaseUrl, `select count(*)::int as n from outbox_events`)) as [
      { n: number },
    ];
    const since = { rows: rowsBefore, records: consumer.received.length };
    const orders = app.connect(OrderService);
    const told: Told = new Map();
    let failed = 0;
    let running = true;
    const worker = async (n: number) => {
      for (let i = 0; running; i++) {
        await sleep(50);
        const created = await orders
          .createOrder(createOrderRequest({ items: [{ productId: "prod-socks", quantity: 1 }] }))
          .catch(() => undefined);
        if (!created) {
          failed++;
          continue;
        }
        const orderId = created.order!.id;
        told.set(orderId, "created");
        if ((n + i) % 2 !== 0) continue;
        const cancelled = await orders.cancelOrder({ requestId: randomUUID(), orderId, reason: "test" }).catch(() => undefined);
        if (!cancelled) failed++;
        told.set(orderId, cancelled ? "cancelled" : "cancel unknown");
      }
    };
    const workers = Array.from({ length: 4 }, (_, n) => worker(n));
    try {
      await sleep(2_000);
      await fault();
      await sleep(2_000);
    } finally {
      running = false;
      await Promise.all(workers);
    }
    return { told, failed, since };
  }

  /** Waits for every event in the outbox to arrive, then checks what arrived against the outbox and against what clients were told. */
  async function settled(
    fault: string,
    { told, failed, since }: { told: Told; failed: number; since: { rows: number; records: number } },
  ): Promise<void> {
    const rows = await query<{ event_id: string; aggregate_id: string; sequence: string }>(
      app.databaseUrl,
      `select event_id, aggregate_id, sequence::text from outbox_events where topic = $1`,
      [topic],
    );
    const received = await consumer.until((all) => {
      const ids = new Set(all.map((record) => record.headers.ce_id));
      return rows.every((row) => ids.has(row.event_id));
    }, 180_000);

    const firstCopy = new Map<string, Received>();
    const repeats: string[] = [];
    const arrived = new Map<string, Received[]>();
    let phaseRepeats = 0;
    for (const [index, record] of received.entries()) {
      const id = record.headers.ce_id!;
      const first = firstCopy.get(id);
      if (first) {
        if (index >= since.records) phaseRepeats++;
        if (JSON.stringify(comparable(first)) !== JSON.stringify(comparable(record)))
          repeats.push(`${id} at offset ${record.offset} differs`);
        continue;
      }
      firstCopy.set(id, record);
      arrived.set(record.key, [...(arrived.get(record.key) ?? []), record]);
    }
    const duplicates = received.length - firstCopy.size;
    const phaseRecords = received.length - since.records;
    const phaseEvents = rows.length - since.rows;
    expect(await stack.status()).toEqual({ connector: "RUNNING", tasks: ["RUNNING"] });
    console.info(
      `debezium, ${fault}: ${told.size} orders acknowledged, ${failed} calls failed, ${phaseEvents} events written, ` +
        `${phaseRecords} records received (${phaseRepeats} exact repeats); all runs so far: ${rows.length} events, 0 lost, ${duplicates} repeats`,
    );
    expect(repeats, "a repeat differs from the record it repeats").toEqual([]);
    // Every order's stream in arrival order: 1, 2, 3, ... with nothing missing or out of place.
    const outOfSequence = [...arrived]
      .filter(([, records]) => records.some((record, i) => Number(record.headers.ce_sequence) !== i + 1))
      .map(([key, records]) => `${key}: ${records.map((record) => record.headers.ce_sequence).join(",")}`);
    expect(outOfSequence).toEqual([]);
    // Expected from what clients were told: a cancel whose answer was lost may or may not have happened.
    const wrong = [...told].filter(([orderId, state]) => {
      const types = JSON.stringify(arrived.get(orderId)?.map((record) => record.headers.ce_type));
      const allowed = state === "created" ? [CREATED] : state === "cancelled" ? [CANCELLED] : [CREATED, CANCELLED];
      return !allowed.some((expected) => JSON.stringify(expected) === types);
    });
    expect(
      wrong.map(
        ([orderId, state]) =>
          `${orderId} (${state}): ${arrived
            .get(orderId)
            ?.map((r) => r.headers.ce_type)
            .join(", ")}`,
      ),
    ).toEqual([]);
  }

  it("when the Connect worker is SIGKILLed mid-stream and restarted, then no event is lost and repeats are exact copies", async () => {
    const load = await underLoad(async () => {
      await stack.killConnect();
      await sleep(3_000);
      await stack.startConnect();
      await stack.running();
    });
    await settled("Connect worker SIGKILLed", load);
  }, 300_000);

  it("when PostgreSQL restarts under load, then the connector resumes from its slot and nothing is lost", async () => {
    const load = await underLoad(async () => {
      await stack.stopPostgres();
      await sleep(3_000);
      await stack.startPostgres();
      await stack.running();
    });
    expect(load.failed).toBeGreaterThan(0);
    await settled("PostgreSQL restarted", load);
  }, 300_000);

  it("when Kafka is down for 30 s under load, then orders keep being accepted and the backlog arrives complete after it returns", async () => {
    let lagAtRestart = 0;
    const load = await underLoad(async () => {
      await broker.stop();
      await sleep(30_000);
      lagAtRestart = (await stack.slot())?.lagBytes ?? 0;
      await broker.start();
      await stack.running();
    });
    console.info(`debezium, Kafka down 30 s: slot lag at Kafka's restart ${lagAtRestart} bytes`);
    expect(load.failed).toBe(0);
    expect(lagAtRestart).toBeGreaterThan(0);
    await settled("Kafka down 30 s", load);
  }, 300_000);

  it("when the connector is paused for a minute while orders keep coming, then the slot's lag grows, and drains after it resumes", async () => {
    const lagOf = async () => (await stack.slot())?.lagBytes ?? 0;
    // The service measures the same slot: its gauge is what the lag alert reads.
    const reported = async () => {
      const metrics = await (await fetch(`http://127.0.0.1:${app.httpPort}/metrics`)).text();
      return Number(/^outbox_cdc_slot_lag_bytes (\S+)$/m.exec(metrics)?.[1]);
    };
    let atPause = 0;
    let atResume = 0;
    let reportedAtResume = 0;
    const load = await underLoad(async () => {
      await stack.pause();
      atPause = await lagOf();
      await sleep(60_000);
      atResume = await lagOf();
      reportedAtResume = await reported();
      await stack.resume();
    });
    await settled("connector paused 1 min", load);
    await expect.poll(lagOf, { timeout: 30_000 }).toBeLessThan(1024 * 1024);
    await expect.poll(reported, { timeout: 30_000 }).toBeLessThan(1024 * 1024);
    console.info(
      `debezium, connector paused 1 min: slot lag ${atPause} bytes at pause, ${atResume} at resume (the service reported ${reportedAtResume}), under 1 MiB after the drain`,
    );
    expect(load.failed).toBe(0);
    expect(atResume).toBeGreaterThan(atPause + 1024 * 1024);
    expect(reportedAtResume).toBeGreaterThan(atPause + 1024 * 1024);
  }, 300_000);
});

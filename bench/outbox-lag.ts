import { randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { percentile, sleep } from "./bench-support.js";
import { openLoop } from "./load.js";
import type { Stack } from "./stack.js";

export interface LagWatch {
  /** Commit-to-Kafka lag of the OrderCreated events of `keys`, once they have all arrived (or 30 s passed). */
  lagOf(keys: readonly string[]): Promise<{ events: number; missing: number; p50Ms: number; p99Ms: number; maxMs: number }>;
  /** Every event of `keys` that arrived (repeats counted once), and when the last one did; waits up to 30 s for `expected`. */
  arrivalsOf(keys: readonly string[], expected: number): Promise<{ events: number; lastAt: number }>;
  stop(): Promise<void>;
}

/**
 * Consumes the service's topic and notes, per OrderCreated, the time from its ce_time (taken just
 * before the order's transaction commits) to its arrival here.
 */
export async function watchOrderCreated(stack: Stack): Promise<LagWatch> {
  const kafka = new Kafka({ brokers: [stack.kafkaBroker], clientId: "bench-consumer", logLevel: logLevel.NOTHING });
  const arrivals = new Map<string, number>();
  const eventsOf = new Map<string, Set<string>>();
  let lastAt = 0;
  // A broker that has just started answers "coordinator is loading" for a while; keep rejoining.
  const consumer = kafka.consumer({ groupId: `bench-${randomUUID()}`, retry: { retries: 20, restartOnFailure: async () => true } });
  consumer.on(consumer.events.CRASH, ({ payload }) => console.error(`bench consumer crashed: ${payload.error.message}`));
  await consumer.connect();
  await consumer.subscribe({ topic: stack.topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const key = message.key!.toString();
      const events = eventsOf.get(key) ?? eventsOf.set(key, new Set()).get(key)!;
      if (!events.has(String(message.headers?.ce_id))) lastAt = Date.now();
      events.add(String(message.headers?.ce_id));
      if (String(message.headers?.ce_type) !== "shop.order.v1.OrderCreated") return;
      arrivals.set(message.key!.toString(), Date.now() - Date.parse(String(message.headers!.ce_time)));
    },
  });
  return {
    async lagOf(keys) {
      const deadline = Date.now() + 30_000;
      while (keys.some((key) => !arrivals.has(key)) && Date.now() < deadline) await sleep(100);
      if (keys.some((key) => !arrivals.has(key))) console.error(`events missing; ${arrivals.size} OrderCreated consumed so far`);
      const lags = keys.flatMap((key) => (arrivals.has(key) ? [arrivals.get(key)!] : [])).sort((a, b) => a - b);
      return {
        events: lags.length,
        missing: keys.length - lags.length,
        p50Ms: percentile(lags, 50),
        p99Ms: percentile(lags, 99),
        maxMs: lags.at(-1) ?? NaN,
      };
    },
    async arrivalsOf(keys, expected) {
      const count = () => keys.reduce((sum, key) => sum + (eventsOf.get(key)?.size ?? 0), 0);
      const deadline = Date.now() + 30_000;
      while (count() < expected && Date.now() < deadline) await sleep(100);
      return { events: count(), lastAt };
    },
    stop: () => consumer.disconnect(),
  };
}

/**
 * The relay on its own: writes OrderCreated outbox rows (a real payload, the service's insert,
 * its NOTIFY trigger) at a fixed rate straight into PostgreSQL, so the relay can be driven past
 * the rate CreateOrder itself reaches on this machine. Returns the keys written.
 */
export async function writeOutboxAtRate(
  stack: Stack,
  rate: number,
  seconds: number,
): Promise<{ keys: string[]; achievedPerSecond: number }> {
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 8 });
  try {
    const { rows } = await pool.query<{ payload: Buffer }>(
      `select payload from outbox_events where event_type = 'shop.order.v1.OrderCreated' limit 1`,
    );
    const payload = rows[0]?.payload ?? Buffer.alloc(600, 1);
    const keys: string[] = [];
    const outcome = await openLoop(rate, seconds, async () => {
      const key = randomUUID();
      await pool.query(
        `insert into outbox_events (event_id, topic, aggregate_id, event_type, payload, occurred_at, next_attempt_at)
         values ($1, $2, $3, 'shop.order.v1.OrderCreated', $4, clock_timestamp(), clock_timestamp())`,
        [randomUUID(), stack.topic, key, payload],
      );
      keys.push(key);
    });
    return { keys, achievedPerSecond: outcome.achievedPerSecond };
  } finally {
    await pool.end();
  }
}

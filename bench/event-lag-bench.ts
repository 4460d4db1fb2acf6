/**
 * Commit-to-Kafka latency of order events under a steady order load: starts a private Kafka
 * broker (scripts/kafka.sh) and the built service with its relay on, places orders over gRPC at
 * a fixed rate (open loop: sends are not held back by slow answers), and a kafkajs consumer
 * measures, per OrderCreated, the time from its ce_time (taken just before the order's
 * transaction commits) to its arrival.
 *
 *   npm run bench:events            BENCH_RATES=50,100 orders/s, BENCH_SECONDS=15 each
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { OrderService } from "../gen/shop/order/v1/order_pb.js";
import { call, machine, orderRequest, percentile, startService, type Client } from "./bench-support.js";

const RATES = (process.env.BENCH_RATES ?? "50,100").split(",").map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const BROKER = "127.0.0.1:19392";
const TOPIC = "orders.bench";

async function steadyLoad(client: Client, rate: number, arrivals: Map<string, number>) {
  const sent: string[] = [];
  let failed = 0;
  const started = performance.now();
  const total = rate * SECONDS;
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(
      call<{ order: { id: string } }>(client, "createOrder", orderRequest(randomUUID(), `lag-${i % 500}`)).then(
        ({ order }) => sent.push(order.id),
        () => failed++,
      ),
    );
  }
  await Promise.all(inFlight);
  const achieved = sent.length / ((performance.now() - started) / 1000);
  const deadline = Date.now() + 30_000;
  while (sent.some((id) => !arrivals.has(id)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  const lags = sent.flatMap((id) => (arrivals.has(id) ? [arrivals.get(id)!] : [])).sort((a, b) => a - b);
  return {
    targetOrdersPerSecond: rate,
    achievedOrdersPerSecond: Math.round(achieved),
    failedCalls: failed,
    eventsMissing: sent.length - lags.length,
    lagP50Ms: percentile(lags, 50),
    lagP99Ms: percentile(lags, 99),
    lagMaxMs: lags.at(-1) ?? NaN,
  };
}

async function main() {
  mkdirSync("bench/results", { recursive: true });
  const env = { ...process.env, KAFKA_PORT: "19392", KAFKA_CONTROLLER_PORT: "19393", KAFKA_DIR: mkdtempSync(join(tmpdir(), "bench-kafka-")) };
  execFileSync("bash", ["scripts/kafka.sh", "start"], { env, stdio: "inherit" });
  const service = await startService({ grpc: 50_092, http: 8_192, pg: 54_592 }, { KAFKA_BROKERS: BROKER, KAFKA_TOPIC: TOPIC });
  const kafka = new Kafka({ brokers: [BROKER], clientId: "bench-consumer", logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-${randomUUID()}` });
  try {
    const admin = kafka.admin();
    await admin.connect();
    while (!(await admin.listTopics()).includes(TOPIC)) await new Promise((resolve) => setTimeout(resolve, 200));
    await admin.disconnect();

    const arrivals = new Map<string, number>();
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (String(message.headers?.ce_type) !== "shop.order.v1.OrderCreated") return;
        arrivals.set(message.key!.toString(), Date.now() - Date.parse(String(message.headers!.ce_time)));
      },
    });
    const client = service.client(OrderService);
    await steadyLoad(client, 20, arrivals); // warm-up: connections, JIT, consumer group join
    const results = [];
    for (const rate of RATES) results.push(await steadyLoad(client, rate, arrivals));

    const date = new Date().toISOString();
    const lines = [
      `Commit-to-Kafka lag of OrderCreated, open loop, ${SECONDS} s per rate; service, PostgreSQL, Kafka and load on one box; ${machine()}; ${date}`,
      "",
      "| orders/s target | achieved | failed calls | missing events | lag p50 ms | lag p99 ms | lag max ms |",
      "|---|---|---|---|---|---|---|",
      ...results.map((r) => `| ${r.targetOrdersPerSecond} | ${r.achievedOrdersPerSecond} | ${r.failedCalls} | ${r.eventsMissing} | ${r.lagP50Ms} | ${r.lagP99Ms} | ${r.lagMaxMs} |`),
    ];
    console.log(lines.join("\n"));
    writeFileSync(`bench/results/event-lag-${date.slice(0, 10)}.json`, JSON.stringify({ machine: machine(), date, seconds: SECONDS, results }, null, 2));
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await service.stop();
    execFileSync("bash", ["scripts/kafka.sh", "stop"], { env, stdio: "inherit" });
    rmSync(env.KAFKA_DIR, { recursive: true, force: true });
  }
}

await main();

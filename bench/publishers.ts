import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { debeziumOutboxConnector, outboxConnectorOptions } from "../src/outbox/debezium-connector.js";
import { cpuMeter, sleep } from "./bench-support.js";
import { closedLoop, CONCURRENCY, warmUp } from "./load.js";
import type { LagWatch } from "./outbox-lag.js";
import type { Scenarios } from "./scenarios.js";
import type { Stack } from "./stack.js";

export interface PublisherRun {
  readonly publisher: "relay" | "debezium";
  /** CreateOrder (3 items) at its maximum, closed loop. */
  readonly ordersPerSecond: number;
  /** Every event of the run's orders, counted as it arrived on Kafka, over the run's length. */
  readonly eventsPerSecond: number;
  readonly eventsMissing: number;
  /** Commit-to-Kafka lag of the run's OrderCreated events. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serviceCpuMsPerOrder: number;
  /** The Kafka Connect worker's CPU per order (debezium only). */
  readonly connectCpuMsPerOrder?: number;
}

const CONNECT_PORT = 18_783;
const CONNECTOR = "order-service-outbox";

/**
 * The outbox's two publishers at CreateOrder's maximum, one after the other on the same stack:
 * the built-in relay inside the service, then OUTBOX_PUBLISHER=debezium with Debezium on a Kafka
 * Connect worker on this machine (scripts/connect.sh). The same load, the same consumer measuring
 * commit-to-Kafka lag. Afterwards the connector, its worker and its replication slot are gone and
 * the service runs the relay again.
 */
export async function comparePublishers(stack: Stack, s: Scenarios, lag: LagWatch, seconds: number): Promise<PublisherRun[]> {
  const connectEnv = {
    ...process.env,
    KAFKA_BROKERS: stack.kafkaBroker,
    CONNECT_PORT: String(CONNECT_PORT),
    CONNECT_DIR: mkdtempSync(join(tmpdir(), "bench-connect-")),
    CONNECT_GROUP: "bench-connect",
  };
  const connect = async (command: "start" | "stop") => {
    const [code] = await once(spawn("bash", ["scripts/connect.sh", command], { env: connectEnv, stdio: "inherit" }), "exit");
    if (code !== 0) throw new Error(`scripts/connect.sh ${command} exited with ${code}`);
  };
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  const runs: PublisherRun[] = [];
  try {
    await stack.restartService({});
    // What earlier runs left unpublished would be measured as this run's lag: after the mix at
    // 450/s the relay had not drained it within 2 minutes (2026-12-06; for issue 35).
    await pool.query(`update outbox_events set published_at = now() where published_at is null`);
    runs.push(await measure(stack, "relay", s, lag, seconds, pool));

    await connect("start");
    const connectPid = Number(readFileSync(join(connectEnv.CONNECT_DIR, "connect.pid"), "utf8"));
    await stack.restartService({ OUTBOX_PUBLISHER: "debezium" });
    const options = outboxConnectorOptions({ DATABASE_URL: stack.databaseUrl, KAFKA_TOPIC: stack.topic, DEBEZIUM_TOPIC_PREFIX: "bench" });
    const response = await fetch(`http://127.0.0.1:${CONNECT_PORT}/connectors/${CONNECTOR}/config`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(debeziumOutboxConnector(options)),
    });
    if (!response.ok) throw new Error(`registering the connector: HTTP ${response.status} ${await response.text()}`);
    await untilReading(pool, options.slotName);
    runs.push(await measure(stack, "debezium", s, lag, seconds, pool, connectPid));
  } finally {
    await fetch(`http://127.0.0.1:${CONNECT_PORT}/connectors/${CONNECTOR}`, { method: "DELETE" }).catch(() => undefined);
    await connect("stop").catch((error: unknown) => console.error(error));
    rmSync(connectEnv.CONNECT_DIR, { recursive: true, force: true });
    // Debezium marks nothing: what it published would be the relay's backlog.
    await pool.query(`update outbox_events set published_at = now() where published_at is null`);
    await pool.query(`select pg_drop_replication_slot(slot_name) from pg_replication_slots where not active`);
    await pool.end();
    await stack.restartService({});
  }
  return runs;
}

async function untilReading(pool: pg.Pool, slot: string): Promise<void> {
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(250)) {
    const { rows } = await pool.query(`select 1 from pg_replication_slots where slot_name = $1 and active`, [slot]);
    if (rows.length > 0) return;
  }
  throw new Error(`Debezium never read the slot ${slot}`);
}

async function measure(
  stack: Stack,
  publisher: PublisherRun["publisher"],
  s: Scenarios,
  lag: LagWatch,
  seconds: number,
  pool: pg.Pool,
  connectPid?: number,
): Promise<PublisherRun> {
  await warmUp(CONCURRENCY, 4, s.createOrder);
  const from = s.createdOrderIds.length;
  const cpu = cpuMeter(stack.servicePid, ...(connectPid ? [connectPid] : []));
  const started = Date.now();
  const outcome = await closedLoop(CONCURRENCY, seconds, s.createOrder);
  const [service, worker] = cpu(outcome.ok);
  const ids = s.createdOrderIds.slice(from);
  const created = await lag.lagOf(ids);
  const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from outbox_events where aggregate_id = any($1)`, [ids]);
  const arrived = await lag.arrivalsOf(ids, rows[0]!.n);
  const run: PublisherRun = {
    publisher,
    ordersPerSecond: outcome.achievedPerSecond,
    eventsPerSecond: Math.round(arrived.events / ((arrived.lastAt - started) / 1000)),
    eventsMissing: rows[0]!.n - arrived.events,
    p50Ms: created.p50Ms,
    p99Ms: created.p99Ms,
    serviceCpuMsPerOrder: +service!.toFixed(3),
    ...(worker !== undefined && { connectCpuMsPerOrder: +worker.toFixed(3) }),
  };
  console.log(`outbox publisher ${publisher}: ${JSON.stringify(run)}`);
  return run;
}

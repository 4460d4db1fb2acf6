import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "../../src/db/embedded-postgres.js";
import { debeziumOutboxConnector, OUTBOX_PUBLICATION } from "../../src/outbox/debezium-connector.js";
import { query } from "./db.js";
import { freePort } from "./processes.js";

export interface DebeziumStackOptions {
  readonly kafkaBrokers: string;
  readonly ordersTopic: string;
  readonly cartTopic: string;
}

/**
 * What OUTBOX_PUBLISHER=debezium runs beside the service, for a test: a PostgreSQL of its own
 * (logical decoding on; restartable without disturbing other tests) and a Kafka Connect worker of
 * its own (scripts/connect.sh: distributed mode, Debezium's jars from Maven Central), with the
 * outbox connector registered over Connect's REST API once the service has migrated the database.
 */
export async function startDebeziumStack(options: DebeziumStackOptions) {
  const id = Math.random().toString(36).slice(2, 8);
  // Not mkdtemp: its 0700 directory is closed to the "postgres" user initdb runs as under root.
  const pgDir = join(tmpdir(), `debezium-pg-${id}`);
  const pgPort = await freePort();
  const log = pino({ level: "warn" });
  let database: EmbeddedDatabase | undefined = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort, log });
  const databaseUrl = database.url;
  const connectPort = await freePort();
  const connectEnv = {
    ...process.env,
    KAFKA_BROKERS: options.kafkaBrokers,
    CONNECT_PORT: String(connectPort),
    CONNECT_DIR: mkdtempSync(join(tmpdir(), "debezium-connect-")),
    CONNECT_GROUP: `order-service-connect-${id}`,
  };
  const name = "order-service-outbox";
  const rest = `http://127.0.0.1:${connectPort}`;
  const slotName = "order_service_outbox";

  // Not execFileSync: a service under test may run in this process, and a worker start blocking
  // its event loop for seconds would time its calls out.
  async function connect(command: "start" | "stop" | "kill") {
    const script = spawn("bash", ["scripts/connect.sh", command], { env: connectEnv, stdio: "inherit" });
    const [code] = await once(script, "exit");
    if (code !== 0) throw new Error(`scripts/connect.sh ${command} exited with ${code}`);
  }

  async function status(): Promise<{ connector: string; tasks: string[] }> {
    const response = await fetch(`${rest}/connectors/${name}/status`);
    if (!response.ok) return { connector: `HTTP ${response.status}`, tasks: [] };
    const body = (await response.json()) as { connector: { state: string }; tasks: { state: string; trace?: string }[] };
    return { connector: body.connector.state, tasks: body.tasks.map((task) => task.state) };
  }

  async function slot(): Promise<{ active: boolean; lagBytes: number } | undefined> {
    const [row] = await query<{ active: boolean; lag: string }>(
      databaseUrl,
      `select active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint::text as lag
       from pg_replication_slots where slot_name = $1`,
      [slotName],
    );
    return row ? { active: row.active, lagBytes: Number(row.lag) } : undefined;
  }

  /** Until the connector and its task run and the slot is being read: orders placed before are not captured. */
  async function running(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = await status().catch(() => ({ connector: "unreachable", tasks: [] as string[] }));
      const reading = await slot().catch(() => undefined);
      if (now.connector === "RUNNING" && now.tasks[0] === "RUNNING" && reading?.active) return;
      if (Date.now() > deadline) throw new Error(`connector not running after ${timeoutMs} ms: ${JSON.stringify({ now, reading })}`);
      await sleep(250);
    }
  }

  await connect("start");
  return {
    databaseUrl,
    slot,
    status,
    running,
    /** Registers (or updates) the outbox connector; the database must be migrated first (the publication). */
    async register(source = "/order-service"): Promise<void> {
      const url = new URL(databaseUrl);
      const config = debeziumOutboxConnector({
        database: { host: url.hostname, port: Number(url.port), user: url.username, password: url.password, name: url.pathname.slice(1) },
        ordersTopic: options.ordersTopic,
        cartTopic: options.cartTopic,
        source,
        slotName,
        publicationName: OUTBOX_PUBLICATION,
        heartbeatMs: 1_000,
        topicPrefix: `order-service-${id}`,
      });
      const response = await fetch(`${rest}/connectors/${name}/config`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(config),
      });
      if (!response.ok) throw new Error(`registering the connector: HTTP ${response.status} ${await response.text()}`);
      await running();
    },
    async pause(): Promise<void> {
      await fetch(`${rest}/connectors/${name}/pause`, { method: "PUT" });
    },
    async resume(): Promise<void> {
      await fetch(`${rest}/connectors/${name}/resume`, { method: "PUT" });
    },
    /** SIGKILL, as a crashed node; `startConnect` brings the worker back, which resumes the connector from its committed offset. */
    killConnect: () => connect("kill"),
    startConnect: () => connect("start"),
    async stopPostgres(): Promise<void> {
      await database?.stop();
      database = undefined;
    },
    async startPostgres(): Promise<void> {
      database = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort, log });
    },
    async stop(): Promise<void> {
      await connect("stop").catch(() => undefined);
      await database?.stop();
      rmSync(pgDir, { recursive: true, force: true });
      rmSync(connectEnv.CONNECT_DIR, { recursive: true, force: true });
    },
  };
}

export type DebeziumStack = Awaited<ReturnType<typeof startDebeziumStack>>;

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { SignJWT } from "jose";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { pino } from "pino";
import { startEmbeddedPostgres } from "../src/db/embedded-postgres.js";
import { grpcServiceDefinition } from "../src/platform/transport/grpc-adapter.js";
import { sleep, type Client } from "./bench-support.js";

const SECRET = "bench-secret-for-the-order-service-0123456789";
/** Products in the benchmark catalog: orders spread over them, as a shop's orders do. */
export const PRODUCT_COUNT = 1_000;
export const productId = (n: number) => `bench-p-${String(n % PRODUCT_COUNT).padStart(4, "0")}`;

const PORTS = { pg: 54_791, kafka: 19_792, kafkaController: 19_793, catalog: 50_761, grpc: 50_791, http: 8_791 };

export interface Stack {
  readonly databaseUrl: string;
  readonly pgPort: number;
  readonly kafkaBroker: string;
  readonly topic: string;
  /** The service's cart events topic (CART_EVENTS_TOPIC). */
  readonly cartTopic: string;
  readonly servicePid: number;
  readonly catalogAddress: string;
  readonly catalogPid: number;
  /** PostgreSQL's postmaster: its backends are its children (bench-support.ts, treeCpuMs). */
  readonly pgPid: number;
  /** Stops the service and starts it again with `overrides` on the production shape ("" unsets a variable). */
  restartService(overrides: Record<string, string>): Promise<void>;
  /** The service's gRPC port, e.g. 127.0.0.1:50791. */
  readonly grpcAddress: string;
  /** The service's HTTP port (Connect, gRPC-Web), e.g. http://127.0.0.1:8791. */
  readonly httpUrl: string;
  /** A bearer token for `subject` with role "service". */
  token(subject?: string): Promise<string>;
  /** A grpc-js client calling as `subject` (role "service"); "bench" unless given. */
  client(service: DescService, subject?: string): Client;
  stop(): Promise<void>;
}

/** What runs before the service starts: the database, the catalog, and the service's topic. */
export interface BeforeService {
  readonly pgPort: number;
  readonly databaseUrl: string;
  readonly catalogAddress: string;
  readonly catalogPid: number;
  readonly topic: string;
  readonly cartTopic: string;
  readonly pgPid: number;
}

/**
 * The service as production runs it, all on this machine: PostgreSQL, a Kafka broker with the
 * outbox relay on, the reference Product and Inventory services in their own process reached
 * over gRPC, JWT authentication and logging at info (to a file). The catalog holds
 * PRODUCT_COUNT products with stock a benchmark cannot exhaust. `beforeService` runs once the
 * schema exists and before the service starts, so it finds the database to itself.
 */
export async function startStack(
  beforeService?: (target: BeforeService) => Promise<void>,
  serviceOverrides: Record<string, string> = {},
): Promise<Stack> {
  // A bench killed halfway leaves its service running, and the next one measured that instead (2026-12-06).
  for (const port of Object.values(PORTS)) await requireFreePort(port);
  const dir = mkdtempSync(join(tmpdir(), "order-bench-"));
  // As root, embedded PostgreSQL runs initdb as another user, who must be able to enter the directory.
  chmodSync(dir, 0o755);
  const stops: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const step of stops.reverse()) await Promise.resolve(step()).catch((error: unknown) => console.error(error));
  };
  try {
    const db = await startEmbeddedPostgres({ dataDir: join(dir, "pg"), port: PORTS.pg, log: pino({ level: "warn" }) });
    stops.push(() => db.stop());
    const pgPid = Number(readFileSync(join(dir, "pg", "postgres", "postmaster.pid"), "utf8").split("\n")[0]);

    const kafkaEnv = {
      ...process.env,
      KAFKA_PORT: String(PORTS.kafka),
      KAFKA_CONTROLLER_PORT: String(PORTS.kafkaController),
      KAFKA_DIR: join(dir, "kafka"),
    };
    execFileSync("bash", ["scripts/kafka.sh", "start"], { env: kafkaEnv, stdio: ["ignore", "ignore", "inherit"] });
    stops.push(() => void execFileSync("bash", ["scripts/kafka.sh", "stop"], { env: kafkaEnv, stdio: "ignore" }));
    const kafkaBroker = `127.0.0.1:${PORTS.kafka}`;
    const topic = "orders.bench";
    const cartTopic = "carts.bench";
    // The broker creates no topic on its own (scripts/kafka.sh): without the cart topic every cart
    // event was refused, retried and parked, and the orders behind it waited (2026-12-05).
    await createTopics(kafkaBroker, [topic, cartTopic]);

    const catalog = spawnLogged("dist/src/catalog/reference/main.js", join(dir, "catalog.log"), {
      DATABASE_URL: db.url,
      CATALOG_GRPC_PORT: String(PORTS.catalog),
    });
    stops.push(() => terminate(catalog));
    const catalogUrl = `http://127.0.0.1:${PORTS.catalog}`;
    // The catalog has applied the migrations; the database is there and idle.
    await waitForTable(db.url, "outbox_events");
    await seedCatalog(db.url);
    await beforeService?.({
      pgPort: PORTS.pg,
      databaseUrl: db.url,
      catalogAddress: `127.0.0.1:${PORTS.catalog}`,
      catalogPid: catalog.pid!,
      topic,
      cartTopic,
      pgPid,
    });
    const serviceEnv = {
      APP_ENV: "production",
      DATABASE_URL: db.url,
      KAFKA_BROKERS: kafkaBroker,
      KAFKA_TOPIC: topic,
      CART_EVENTS_TOPIC: cartTopic,
      PRODUCT_SERVICE_URL: catalogUrl,
      INVENTORY_SERVICE_URL: catalogUrl,
      JWT_SECRET: SECRET,
      IDEMPOTENCY_HASH_KEY: "bench-idempotency-hash-key-0123456789abcdef",
      CAPABILITY_TOKEN_SECRET: "bench-capability-token-key-0123456789abcdef",
      CORS_ORIGINS: "https://shop.example.com",
      ALLOW_SIMULATED_PAYMENTS: "true",
      // The reference catalog on loopback, over plaintext gRPC.
      ALLOW_PLAINTEXT_DEPENDENCIES: "true",
      LOG_LEVEL: "info",
      HOST: "127.0.0.1",
      GRPC_PORT: String(PORTS.grpc),
      HTTP_PORT: String(PORTS.http),
      // One calling service sends all the load; a per-caller limit would measure the limiter.
      RATE_LIMIT_PER_SECOND: "0",
      // As a deploy runs it (README, Configuration, "Memory"): without caps V8 sizes the heap for
      // this 24 GiB machine (a 128 MiB young generation) and RSS sits at hundreds of MiB.
      NODE_OPTIONS: process.env.BENCH_SERVICE_NODE_OPTIONS ?? SERVICE_NODE_OPTIONS,
      ...serviceOverrides,
    };
    /** The service with `overrides` on top of the production shape; an empty value unsets a variable. */
    const startService = async (overrides: Record<string, string>) => {
      const env: Record<string, string | undefined> = { ...process.env, ...serviceEnv, ...overrides };
      for (const [name, value] of Object.entries(env)) if (value === "") delete env[name];
      const child = spawnLogged("dist/src/main.js", join(dir, "service.log"), env, false);
      await waitReady(child, `http://127.0.0.1:${PORTS.http}/readyz`, dir);
      return child;
    };
    let service = await startService({});
    stops.push(() => terminate(service));

    // grpc-js holds the call's messages until start() passes it on, so the token may still be signing.
    const authorize =
      (token: Promise<string>): grpc.Interceptor =>
      (options, nextCall) =>
        new grpc.InterceptingCall(nextCall(options), {
          start(metadata, listener, next) {
            void token.then((bearer) => {
              metadata.set("authorization", `Bearer ${bearer}`);
              next(metadata, listener);
            });
          },
        });
    const clients: Client[] = [];
    stops.push(() => clients.forEach((client) => client.close()));
    return {
      databaseUrl: db.url,
      pgPort: PORTS.pg,
      kafkaBroker,
      topic,
      cartTopic,
      catalogAddress: `127.0.0.1:${PORTS.catalog}`,
      httpUrl: `http://127.0.0.1:${PORTS.http}`,
      grpcAddress: `127.0.0.1:${PORTS.grpc}`,
      token: (subject = "bench") => serviceToken(subject),
      get servicePid() {
        return service.pid!;
      },
      catalogPid: catalog.pid!,
      pgPid,
      client(descriptor, subject = "bench") {
        const Constructor = grpc.makeGenericClientConstructor(grpcServiceDefinition(descriptor), descriptor.name);
        const token = serviceToken(subject);
        const client = new Constructor(`127.0.0.1:${PORTS.grpc}`, grpc.credentials.createInsecure(), { interceptors: [authorize(token)] });
        clients.push(client);
        return client;
      },
      async restartService(overrides) {
        await terminate(service);
        service = await startService(overrides);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function requireFreePort(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
      .once("error", () =>
        reject(new Error(`port ${port} is in use: a benchmark left running? (pgrep -fa "dist/src/main.js|order-bench")`)),
      )
      .listen(port, "127.0.0.1", () => probe.close(() => resolve()));
  });
}

async function createTopics(broker: string, topics: string[]): Promise<void> {
  const admin = new Kafka({ brokers: [broker], clientId: "bench-admin", logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export const SERVICE_NODE_OPTIONS = "--max-old-space-size=192 --max-semi-space-size=16";

/**
 * Where the service and the catalog are run from: this checkout, or BENCH_SERVICE_DIR, another
 * build's checkout (built, with its node_modules), to measure a build before a change the same day.
 */
export const SERVICE_DIR = resolve(process.env.BENCH_SERVICE_DIR ?? ".");

/** `env` is added to this process's environment, or with `inherit` false is the whole environment. */
function spawnLogged(script: string, logFile: string, env: Record<string, string | undefined>, inherit = true): ChildProcess {
  const log = openSync(logFile, "a");
  // BENCH_PROFILE=1 leaves V8 CPU profiles of the service and the catalog in bench/results/profiles.
  const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${resolve("bench/results/profiles")}`] : [];
  return spawn(process.execPath, [...profile, script], {
    cwd: SERVICE_DIR,
    env: inherit ? { ...process.env, ...env } : env,
    stdio: ["ignore", log, log],
  });
}

async function waitReady(child: ChildProcess, url: string, dir: string) {
  for (let i = 0; ; i++) {
    if (i > 600 || child.exitCode !== null) throw new Error(`service not ready; see ${dir}/service.log`);
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
}

async function terminate(child: ChildProcess) {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
}

async function waitForTable(url: string, table: string) {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    for (let i = 0; !(await db.query(`select to_regclass($1) as t`, [table])).rows[0].t; i++) {
      if (i > 600) throw new Error(`${table} never appeared`);
      await sleep(100);
    }
  } finally {
    await db.end();
  }
}

async function seedCatalog(url: string) {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    await db.query(
      `insert into catalog_products (id, sku, name, currency, price_minor, active, available)
       select 'bench-p-' || lpad(n::text, 4, '0'), 'BENCH-' || n, 'Bench product ' || n, 'USD', 500 + (n * 37) % 9500, true, 100000000
       from generate_series(0, $1 - 1) as n
       on conflict (id) do nothing`,
      [PRODUCT_COUNT],
    );
    // The reference Inventory keeps stock per location: products of no seller sit at "main".
    await db.query(
      `insert into catalog_stock (location_id, product_id, variant_id, available)
       select 'main', id, '', available from catalog_products where id like 'bench-p-%'
       on conflict do nothing`,
    );
  } finally {
    await db.end();
  }
}

function serviceToken(subject: string): Promise<string> {
  return new SignJWT({ roles: ["service"] })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(subject)
    .setIssuer("order-service")
    .setAudience("order-service")
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(SECRET));
}

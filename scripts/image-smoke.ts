/**
 * The image run as production runs it (scripts/image.sh smoke): a migration job, then the service
 * on a read-only root filesystem with no capabilities, against a real PostgreSQL and Kafka on
 * this host. Prints each step; exits 1 at the first that fails.
 *
 *   SMOKE_PODMAN="podman --runtime runc" SMOKE_LIMITS="--ulimit nofile=20000:20000" node --import tsx scripts/image-smoke.ts <image>
 */
import { execFile, execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { SignJWT } from "jose";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { pino } from "pino";
import { HealthCheckResponse_ServingStatus, Health } from "../gen/health/v1/health_pb.js";
import { OrderService } from "../gen/shop/order/v1/order_pb.js";
import { startEmbeddedPostgres } from "../src/db/embedded-postgres.js";
import { logProcessWarnings } from "../src/platform/observability/process-warnings.js";
import { grpcServiceDefinition } from "../src/platform/transport/grpc-adapter.js";

const run = promisify(execFile);
const image = process.argv[2]!;
const podman = (process.env.SMOKE_PODMAN ?? "podman").split(" ");
const limits = (process.env.SMOKE_LIMITS ?? "").split(" ").filter(Boolean);
const PORTS = { grpc: 50581, http: 8581, admin: 9581, pg: 54481, kafka: "19481", kafkaController: "19482" };
const SECRET = randomBytes(32).toString("hex");
const topic = `orders.smoke.${randomBytes(4).toString("hex")}`;
const container = `order-smoke-${randomBytes(3).toString("hex")}`;
const cleanups: (() => unknown)[] = [];

logProcessWarnings(pino({ level: "warn" }));
const step = (what: string) => console.log(`::: smoke: ${what}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  step(`PostgreSQL (embedded, 127.0.0.1:${PORTS.pg})`);
  const dataDir = mkdtempSync(join(tmpdir(), "smoke-pg-"));
  chmodSync(dataDir, 0o755);
  const db = await startEmbeddedPostgres({ dataDir: join(dataDir, "pg"), port: PORTS.pg, log: pino({ level: "warn" }) });
  cleanups.push(async () => (await db.stop(), rmSync(dataDir, { recursive: true, force: true })));

  let brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    step(`Kafka (scripts/kafka.sh, 127.0.0.1:${PORTS.kafka})`);
    const env = {
      ...process.env,
      KAFKA_PORT: PORTS.kafka,
      KAFKA_CONTROLLER_PORT: PORTS.kafkaController,
      KAFKA_DIR: mkdtempSync(join(tmpdir(), "smoke-kafka-")),
    };
    execFileSync("bash", ["scripts/kafka.sh", "start"], { env, stdio: "inherit" });
    cleanups.push(() => execFileSync("bash", ["scripts/kafka.sh", "stop"], { env, stdio: "inherit" }));
    brokers = `127.0.0.1:${PORTS.kafka}`;
  }

  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC: topic,
    JWT_SECRET: SECRET,
    CORS_ORIGINS: "https://shop.example.com",
    IDEMPOTENCY_HASH_KEY: randomBytes(32).toString("hex"),
    CAPABILITY_TOKEN_SECRET: randomBytes(32).toString("hex"),
    ALLOW_SIMULATED_PAYMENTS: "true",
    GRPC_PORT: String(PORTS.grpc),
    HTTP_PORT: String(PORTS.http),
    ADMIN_PORT: String(PORTS.admin),
    MIGRATE_AT_START: "false",
    LOG_LEVEL: "info",
  };
  const envArgs = Object.entries(env).flatMap(([key, value]) => ["-e", `${key}=${value}`]);
  // As the Kubernetes manifests run it: numeric non-root user, read-only root, no capabilities.
  const hardening = [
    "--network",
    "host",
    "--read-only",
    "--tmpfs",
    "/tmp",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
    ...limits,
  ];

  step("production start without production settings is refused");
  const refused = await run(podman[0]!, [...podman.slice(1), "run", "--rm", ...hardening, "-e", `DATABASE_URL=${db.url}`, image]).then(
    () => undefined,
    (error: { code?: number; stdout?: string; stderr?: string }) => error,
  );
  if (!refused || refused.code === 0 || !/JWT_SECRET/.test(`${refused.stdout}${refused.stderr}`))
    throw new Error(`started without JWT_SECRET and the rest: ${JSON.stringify(refused)}`);
  console.log(`exit ${refused.code}: ${lastLines(`${refused.stdout}${refused.stderr}`, 1).slice(0, 300)}`);

  step("migration job: <image> migrate");
  const migrated = await run(podman[0]!, [...podman.slice(1), "run", "--rm", ...hardening, ...envArgs, image, "migrate"]);
  if (!/migrations are up to date/.test(migrated.stdout)) throw new Error(`migrate did not finish:\n${migrated.stdout}${migrated.stderr}`);
  console.log(lastLines(migrated.stdout, 2));

  step("service container");
  const started = Date.now();
  await run(podman[0]!, [...podman.slice(1), "run", "-d", "--name", container, ...hardening, ...envArgs, image]);
  cleanups.push(() => run(podman[0]!, [...podman.slice(1), "rm", "-f", container]).catch(() => undefined));
  for (
    let i = 0;
    !(await fetch(`http://127.0.0.1:${PORTS.http}/readyz`).then(
      (r) => r.ok,
      () => false,
    ));
    i++
  ) {
    if (i > 600) throw new Error(`never ready:\n${Object.values(await logs()).join("")}`);
    await sleep(50);
  }
  const readyMs = Date.now() - started;
  console.log(`ready ${readyMs} ms after podman run (/readyz 200)`);

  const bearer = await new SignJWT({ roles: ["service"] })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("smoke")
    .setIssuer("order-service")
    .setAudience("order-service")
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(SECRET));
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${bearer}`);
  const grpcClient = (service: typeof Health | typeof OrderService) => {
    const Constructor = grpc.makeGenericClientConstructor(grpcServiceDefinition(service), service.name);
    return new Constructor(`127.0.0.1:${PORTS.grpc}`, grpc.credentials.createInsecure());
  };
  const unary = <T>(client: InstanceType<ReturnType<typeof grpc.makeGenericClientConstructor>>, method: string, request: unknown) =>
    new Promise<T>((resolve, reject) =>
      client[method]!(request, metadata, { deadline: Date.now() + 10_000 }, (e: Error | null, r: T) => (e ? reject(e) : resolve(r))),
    );

  step("gRPC health (grpc.health.v1.Health/Check, as grpcurl would)");
  const health = await unary<{ status: HealthCheckResponse_ServingStatus }>(grpcClient(Health), "check", {
    service: "shop.order.v1.OrderService",
  });
  if (health.status !== HealthCheckResponse_ServingStatus.SERVING) throw new Error(`health says ${health.status}`);
  console.log("SERVING");

  const order = (via: string) => ({
    requestId: randomUUID(),
    userId: `smoke-${via}`,
    customer: { email: "smoke@example.com", firstName: "Smoke", lastName: "Test" },
    items: [{ productId: "prod-mug", quantity: 1 }],
    shippingAddress: { line1: "1 Main St", city: "Springfield", postalCode: "62701", countryCode: "US" },
    paymentMethod: { method: { case: "cashOnDelivery", value: {} } },
  });
  step("CreateOrder over gRPC");
  const overGrpc = await unary<{ order: { id: string; orderNumber: string } }>(grpcClient(OrderService), "createOrder", order("grpc"));
  console.log(`${overGrpc.order.orderNumber} ${overGrpc.order.id}`);
  step("CreateOrder over Connect");
  const connect = createClient(
    OrderService,
    createConnectTransport({
      baseUrl: `http://127.0.0.1:${PORTS.http}`,
      httpVersion: "1.1",
      interceptors: [(next) => (r) => (r.header.set("authorization", `Bearer ${bearer}`), next(r))],
    }),
  );
  const overConnect = (await connect.createOrder(order("connect") as never)).order!;
  console.log(`${overConnect.orderNumber} ${overConnect.id}`);
  step("the staff console at /console/");
  const page = await fetch(`http://127.0.0.1:${PORTS.http}/console/`);
  const html = await page.text();
  if (
    page.status !== 200 ||
    !html.includes("Orders console") ||
    !page.headers.get("content-security-policy")?.includes("frame-ancestors 'none'")
  ) {
    throw new Error(`/console/ answered ${page.status} without the console page or its headers`);
  }
  console.log(`200, ${html.length} bytes, ${page.headers.get("content-security-policy")?.split(";")[0]}`);

  step(`OrderCreated of both on Kafka (${topic})`);
  const wanted = new Set([overGrpc.order.id, overConnect.id]);
  const consumer = new Kafka({ brokers: brokers.split(","), clientId: "smoke", logLevel: logLevel.NOTHING }).consumer({
    groupId: `smoke-${randomUUID()}`,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Set<string>();
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (String(message.headers?.ce_type) === "shop.order.v1.OrderCreated" && wanted.has(String(message.key)))
        seen.add(String(message.key));
    },
  });
  for (let i = 0; seen.size < wanted.size; i++) {
    if (i > 300) throw new Error(`OrderCreated missing on Kafka for ${[...wanted].filter((id) => !seen.has(id)).join(", ")}`);
    await sleep(100);
  }
  await consumer.disconnect();
  console.log(`both OrderCreated records read (${[...seen].join(", ")})`);

  step("SIGTERM (podman stop) -> exit 0");
  const stopping = Date.now();
  await run(podman[0]!, [...podman.slice(1), "stop", "--time", "20", container]);
  const { stdout: exit } = await run(podman[0]!, [...podman.slice(1), "inspect", container, "--format", "{{.State.ExitCode}}"]);
  const { stdout: output, stderr } = await logs();
  if (exit.trim() !== "0") throw new Error(`exited ${exit.trim()}:\n${output}${stderr}`);
  console.log(`exit 0, ${Date.now() - stopping} ms after SIGTERM`);
  if (stderr.trim()) throw new Error(`the service wrote to stderr:\n${stderr}`);
  if (
    !output
      .trim()
      .split("\n")
      .every((line) => line.startsWith("{"))
  )
    throw new Error(`not every log line is JSON:\n${output}`);
  console.log(lastLines(output, 3));

  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const { rows } = await client.query<{ pending: number }>(
    `select count(*) filter (where published_at is null)::int as pending from outbox_events`,
  );
  await client.end();
  if (rows[0]!.pending !== 0) throw new Error(`${rows[0]!.pending} outbox rows left unpublished at exit`);
  step(`passed: ready in ${readyMs} ms; no outbox rows pending after exit`);
}

function lastLines(text: string, n: number): string {
  return text.trim().split("\n").slice(-n).join("\n");
}

async function logs(): Promise<{ stdout: string; stderr: string }> {
  return run(podman[0]!, [...podman.slice(1), "logs", container]).catch(() => ({ stdout: "", stderr: "" }));
}

try {
  await main();
} catch (error) {
  console.error(`::: smoke FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch((e: unknown) => console.error(e));
}

/**
 * Closed-loop benchmark of the order RPCs over gRPC: starts the built service (embedded
 * PostgreSQL, reference catalog, logging at info) as its own process, drives it from this one,
 * and prints calls/s, latency percentiles and the service's CPU per call. Issue 8 grows this
 * into the full open-loop suite with its limits.
 *
 *   npm run bench:orders            BENCH_SECONDS=10 BENCH_CONCURRENCY=16 by default; BENCH_PROFILE=1
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, mkdtempSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import pg from "pg";
import { CartService } from "../gen/shop/cart/v1/cart_pb.js";
import { OrderService } from "../gen/shop/order/v1/order_pb.js";
import { grpcServiceDefinition } from "../src/platform/grpc-adapter.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const GRPC_PORT = 50_091;
const HTTP_PORT = 8_191;
const PG_PORT = 54_591;

type Client = grpc.Client & Record<string, Function>;

function call<T>(client: Client, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method]!(request, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (error: grpc.ServiceError | null, response: T) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

/** utime + stime of one process, in ms (Linux /proc; clock ticks are 100 Hz). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

async function run(name: string, pid: number, once: (worker: number, i: number) => Promise<unknown>) {
  const warmUntil = Date.now() + 1_000;
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, w) => {
    for (let i = 0; Date.now() < warmUntil; i++) await once(w, -i - 1).catch(() => undefined);
  }));
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  const cpuBefore = cpuMs(pid);
  const started = performance.now();
  const until = Date.now() + SECONDS * 1_000;
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, w) => {
    for (let i = 0; Date.now() < until; i++) {
      const t = performance.now();
      try {
        await once(w, i);
        latencies.push(performance.now() - t);
      } catch (error) {
        const code = grpc.status[(error as grpc.ServiceError).code] ?? "CLIENT";
        errors.set(code, (errors.get(code) ?? 0) + 1);
      }
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuMs(pid) - cpuBefore;
  latencies.sort((a, b) => a - b);
  const ok = latencies.length;
  return {
    scenario: name,
    callsPerSecond: Math.round(ok / elapsed),
    p50Ms: +percentile(latencies, 50).toFixed(2),
    p90Ms: +percentile(latencies, 90).toFixed(2),
    p99Ms: +percentile(latencies, 99).toFixed(2),
    maxMs: +(latencies.at(-1) ?? NaN).toFixed(2),
    errors: Object.fromEntries(errors),
    serviceCpuMsPerCall: +(cpu / Math.max(ok, 1)).toFixed(3),
  };
}

const orderRequest = () => ({
  requestId: randomUUID(),
  userId: `bench-${Math.floor(Math.random() * 1000)}`,
  customer: { email: "bench@example.com", firstName: "Bench", lastName: "Mark", phone: "+14155550123" },
  items: [{ productId: "prod-mug", quantity: 1 }, { productId: "prod-tee", quantity: 1 }, { productId: "prod-cap", quantity: 1 }],
  shippingAddress: { line1: "1 Main St", city: "Springfield", state: "IL", postalCode: "62701", countryCode: "US" },
  paymentMethod: { method: { case: "cashOnDelivery", value: {} } },
});

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), "order-bench-"));
  // As root, embedded PostgreSQL runs initdb as another user, who must be able to enter the directory.
  chmodSync(dataDir, 0o755);
  mkdirSync("bench/results", { recursive: true });
  const log = openSync(join(dataDir, "service.log"), "w");
  // BENCH_PROFILE=1 leaves a V8 CPU profile of the service in bench/results/profiles.
  const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir=bench/results/profiles"] : [];
  const service = spawn(process.execPath, [...profile, "dist/src/main.js"], {
    env: { ...process.env, DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(PG_PORT), GRPC_PORT: String(GRPC_PORT), HTTP_PORT: String(HTTP_PORT), LOG_LEVEL: "info", HOST: "127.0.0.1" },
    stdio: ["ignore", log, log],
  });
  try {
    for (let i = 0; ; i++) {
      if (i > 300 || service.exitCode !== null) throw new Error(`service not ready; see ${dataDir}/service.log`);
      const ready = await fetch(`http://127.0.0.1:${HTTP_PORT}/readyz`).then((r) => r.ok, () => false);
      if (ready) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const db = new pg.Client({ connectionString: `postgresql://orders:orders@127.0.0.1:${PG_PORT}/orders` });
    await db.connect();
    await db.query(`update catalog_products set available = 100000000 where active`);
    await db.end();

    const connect = (service: typeof OrderService | typeof CartService) => {
      const Constructor = grpc.makeGenericClientConstructor(grpcServiceDefinition(service) as never, service.name);
      return new Constructor(`127.0.0.1:${GRPC_PORT}`, grpc.credentials.createInsecure()) as unknown as Client;
    };
    const client = connect(OrderService);
    const carts = connect(CartService);
    const runId = randomUUID().slice(0, 8);
    const products = ["prod-mug", "prod-tee", "prod-cap", "prod-socks", "prod-notebook"];
    const pid = service.pid!;
    const created: string[][] = Array.from({ length: CONCURRENCY }, () => []);

    const results = [
      await run("CreateOrder (3 items)", pid, async (w) => {
        const { order } = await call<{ order: { id: string } }>(client, "createOrder", orderRequest());
        created[w]!.push(order.id);
      }),
      await run("GetOrder", pid, (w, i) => {
        const ids = created[w]!;
        return call(client, "getOrder", { orderId: ids[Math.abs(i) % ids.length] });
      }),
      await run("ListOrders (page of 20)", pid, () => call(client, "listOrders", { userId: `bench-${Math.floor(Math.random() * 1000)}`, pageSize: 20 })),
      await run("UpdateOrder (notes)", pid, (w, i) => {
        const ids = created[w]!;
        return call(client, "updateOrder", { requestId: randomUUID(), orderId: ids[Math.abs(i) % ids.length], notes: `note ${i}` });
      }),
      // Five products per user, one unit each time, so no line reaches the per-line limit.
      await run("Cart AddItem", pid, (w, i) =>
        call(carts, "addItem", { userId: `cart-${runId}-${w}-${Math.floor(i / 25)}`, productId: products[Math.abs(i) % 5], quantity: 1 }),
      ),
      await run("Cart AddItem + Checkout (one call each)", pid, async (w, i) => {
        const userId = `checkout-${runId}-${w}-${i}`;
        await call(carts, "addItem", { userId, productId: "prod-mug", quantity: 2 });
        const { requestId: _, userId: __, items: ___, ...rest } = orderRequest();
        await call(carts, "checkout", { requestId: randomUUID(), userId, ...rest });
      }),
    ];
    client.close();
    carts.close();

    const machine = `${cpus().length} cores, ${cpus()[0]?.model.trim()}, Node ${process.version}`;
    const date = new Date().toISOString();
    const header = `Closed loop, ${CONCURRENCY} concurrent calls, ${SECONDS} s per scenario after 1 s warm-up; ${machine}; ${date}`;
    const rows = results.map((r) => `| ${r.scenario} | ${r.callsPerSecond} | ${r.p50Ms} | ${r.p90Ms} | ${r.p99Ms} | ${r.maxMs} | ${r.serviceCpuMsPerCall} | ${JSON.stringify(r.errors)} |`);
    const table = [header, "", "| Scenario | calls/s | p50 ms | p90 ms | p99 ms | max ms | service CPU ms/call | errors |", "|---|---|---|---|---|---|---|---|", ...rows].join("\n");
    console.log(table);
    writeFileSync(`bench/results/orders-${date.slice(0, 10)}.json`, JSON.stringify({ machine, date, concurrency: CONCURRENCY, seconds: SECONDS, results }, null, 2));
  } finally {
    if (service.exitCode === null) {
      service.kill("SIGTERM");
      await new Promise((resolve) => service.once("exit", resolve));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

await main();

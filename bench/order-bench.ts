/**
 * Closed-loop benchmark of the order RPCs over gRPC: starts the built service (embedded
 * PostgreSQL, reference catalog, logging at info) as its own process, drives it from this one,
 * and prints calls/s, latency percentiles and the service's CPU per call. Issue 8 grows this
 * into the full open-loop suite with its limits.
 *
 *   npm run bench:orders            BENCH_SECONDS=10 BENCH_CONCURRENCY=16 by default; BENCH_PROFILE=1
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { CartService } from "../gen/shop/cart/v1/cart_pb.js";
import { OrderService } from "../gen/shop/order/v1/order_pb.js";
import { call, cpuMs, machine, orderRequest as benchOrder, percentile, startService } from "./bench-support.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

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

const orderRequest = () => benchOrder(randomUUID(), `bench-${Math.floor(Math.random() * 1000)}`);

async function main() {
  mkdirSync("bench/results", { recursive: true });
  const service = await startService({ grpc: 50_091, http: 8_191, pg: 54_591 });
  try {
    const client = service.client(OrderService);
    const carts = service.client(CartService);
    const pid = service.pid;
    const runId = randomUUID().slice(0, 8);
    const products = ["prod-mug", "prod-tee", "prod-cap", "prod-socks", "prod-notebook"];
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

    const date = new Date().toISOString();
    const header = `Closed loop, ${CONCURRENCY} concurrent calls, ${SECONDS} s per scenario after 1 s warm-up; ${machine()}; ${date}`;
    const rows = results.map((r) => `| ${r.scenario} | ${r.callsPerSecond} | ${r.p50Ms} | ${r.p90Ms} | ${r.p99Ms} | ${r.maxMs} | ${r.serviceCpuMsPerCall} | ${JSON.stringify(r.errors)} |`);
    const table = [header, "", "| Scenario | calls/s | p50 ms | p90 ms | p99 ms | max ms | service CPU ms/call | errors |", "|---|---|---|---|---|---|---|---|", ...rows].join("\n");
    console.log(table);
    writeFileSync(`bench/results/orders-${date.slice(0, 10)}.json`, JSON.stringify({ machine: machine(), date, concurrency: CONCURRENCY, seconds: SECONDS, results }, null, 2));
  } finally {
    await service.stop();
  }
}

await main();

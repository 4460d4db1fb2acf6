/**
 * What WatchOrder streams cost everyone else: another caller's GetOrder latency with no stream
 * open, then with WATCH_MAX_STREAMS (the per-process cap) open, one order changing 50 times a
 * second in both runs. Writes bench/results/watch-<date>.json and prints a table.
 *
 *   npm run bench:watch        about 2 minutes; BENCH_SECONDS (20) per measured run
 */
import { randomInt, randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import type * as grpc from "@grpc/grpc-js";
import { OrderService } from "../gen/shop/order/v1/order_pb.js";
import { call, cpuMs, machine, machineCpu, memoryMiB, sleep, type Client } from "./bench-support.js";
import { openLoop, warmUp, type LoadOutcome } from "./load.js";
import { productId, startStack, type Stack } from "./stack.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const MAX_STREAMS = 1_000;
const PER_CALLER = 10;
const GET_RATE = Number(process.env.BENCH_WATCH_GET_RATE ?? 200);
const CHANGES_PER_SECOND = 50;

const buyer = {
  userId: "watch-bench",
  customer: { email: "bench@example.com", firstName: "Bench", lastName: "Mark" },
  shippingAddress: { line1: "1 Main St", city: "Springfield", postalCode: "62701", countryCode: "US" },
  paymentMethod: { method: { case: "cashOnDelivery", value: {} } },
};

async function placeOrders(orders: Client, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let k = 0; k < count; k += 16) {
    const batch = Array.from({ length: Math.min(16, count - k) }, (_, j) =>
      call<{ order: { id: string } }>(orders, "createOrder", {
        requestId: randomUUID(),
        items: [{ productId: productId(k + j), quantity: 1 }],
        ...buyer,
      }),
    );
    ids.push(...(await Promise.all(batch)).map((response) => response.order.id));
  }
  return ids;
}

/** Opens one stream per order, PER_CALLER per subject, and waits until each has its first message. */
async function openStreams(stack: Stack, orderIds: string[]): Promise<grpc.ClientReadableStream<unknown>[]> {
  const streams: grpc.ClientReadableStream<unknown>[] = [];
  const clients = new Map<number, Client>();
  await Promise.all(
    orderIds.map((orderId, n) => {
      const caller = Math.floor(n / PER_CALLER);
      if (!clients.has(caller)) clients.set(caller, stack.client(OrderService, `watcher-${caller}`));
      const stream = clients.get(caller)!.watchOrder!({ orderId }) as grpc.ClientReadableStream<unknown>;
      streams.push(stream);
      return new Promise<void>((resolve, reject) => {
        stream.once("data", () => resolve());
        stream.once("error", reject);
      });
    }),
  );
  for (const stream of streams) stream.on("error", () => undefined);
  return streams;
}

/** GetOrder at GET_RATE from its own caller while one order changes CHANGES_PER_SECOND times a second. */
async function measure(stack: Stack, label: string, readIds: string[], changingId: string) {
  const reader = stack.client(OrderService, "reader");
  const writer = stack.client(OrderService, "changer");
  const get = () => call(reader, "getOrder", { orderId: readIds[randomInt(readIds.length)] });
  await warmUp(8, 2, get);
  const change = () => call(writer, "updateOrder", { requestId: randomUUID(), orderId: changingId, notes: `note ${randomUUID()}` });
  const cpuBefore = cpuMs(stack.servicePid);
  const box = machineCpu();
  const [reads, changes] = await Promise.all([openLoop(GET_RATE, SECONDS, get), openLoop(CHANGES_PER_SECOND, SECONDS, change)]);
  const after = machineCpu();
  const serviceCpuMs = cpuMs(stack.servicePid) - cpuBefore;
  const row = {
    label,
    reads,
    changes: { achievedPerSecond: changes.achievedPerSecond, p99Ms: changes.p99Ms, errors: changes.errors },
    serviceCpuMsPerSecond: Math.round(serviceCpuMs / reads.seconds),
    busyCores: +((2 * (after.busy - box.busy)) / Math.max(after.total - box.total, 1)).toFixed(2),
    serviceRssMiB: memoryMiB(stack.servicePid).rss,
  };
  console.log(
    `${label}: GetOrder ${reads.achievedPerSecond}/s p50 ${reads.p50Ms} p99 ${reads.p99Ms} ms; changes ${changes.achievedPerSecond}/s`,
  );
  return row;
}

async function main() {
  const stack = await startStack(undefined, { WATCH_MAX_STREAMS: String(MAX_STREAMS), WATCH_MAX_STREAMS_PER_CALLER: String(PER_CALLER) });
  try {
    const orders = stack.client(OrderService);
    const [changingId, ...watchedIds] = await placeOrders(orders, MAX_STREAMS);
    const readIds = await placeOrders(orders, 200);
    const none = await measure(stack, "no stream open", readIds, changingId!);
    const streams = await openStreams(stack, [changingId!, ...watchedIds]);
    await sleep(1_000);
    const full = await measure(stack, `${streams.length} streams open (the cap)`, readIds, changingId!);
    streams.forEach((stream) => stream.cancel());
    report([none, full]);
  } finally {
    await stack.stop();
  }
}

function report(
  rows: {
    label: string;
    reads: LoadOutcome;
    changes: { achievedPerSecond: number };
    serviceCpuMsPerSecond: number;
    busyCores: number;
    serviceRssMiB: number;
  }[],
) {
  const date = new Date().toISOString().slice(0, 10);
  const header = `### WatchOrder streams and another caller's GetOrder, ${date}: ${machine()}\n\nGetOrder open loop at ${GET_RATE}/s for ${SECONDS} s from its own caller; one order changed ${CHANGES_PER_SECOND} times a second (UpdateOrder) by another; production shape (bench/stack.ts).\n`;
  const table = [
    "| streams open | GetOrder/s | p50 ms | p99 ms | max ms | errors | changes/s | service CPU ms/s | busy cores | service RSS MiB |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.label} | ${r.reads.achievedPerSecond} | ${r.reads.p50Ms} | ${r.reads.p99Ms} | ${r.reads.maxMs} | ${Object.keys(r.reads.errors).length ? JSON.stringify(r.reads.errors) : "none"} | ${r.changes.achievedPerSecond} | ${r.serviceCpuMsPerSecond} | ${r.busyCores} | ${r.serviceRssMiB} |`,
    ),
  ].join("\n");
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(
    `bench/results/watch-${date}.json`,
    JSON.stringify({ date, machine: machine(), getRate: GET_RATE, seconds: SECONDS, rows }, null, 2),
  );
  console.log(`\n${header}\n${table}`);
}

await main();

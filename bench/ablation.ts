/**
 * What each part of the production shape costs: the service restarted with one thing changed at
 * a time, CreateOrder or GetOrder at their maximum (closed loop), CPU per call of the service and
 * of the catalog. Every row is measured in the same run as its baseline, so the differences are.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { OrderService } from "../gen/shop/order/v1/order_pb.js";
import { cpuMeter, median, memoryMiB, settle } from "./bench-support.js";
import { closedLoop, CONCURRENCY, warmUp, type Operation } from "./load.js";
import type { Scenarios } from "./scenarios.js";
import { SERVICE_NODE_OPTIONS, type Stack } from "./stack.js";

export interface AblationRow {
  readonly toggle: string;
  readonly scenario: "CreateOrder" | "GetOrder";
  /** Medians over the rounds. */
  readonly perSecond: number;
  readonly failed: boolean;
  readonly serviceCpuMsPerCall: number;
  readonly catalogCpuMsPerCall: number;
  /** The service's CPU per call in each round: how far apart the same setting measured. */
  readonly serviceCpuMsPerRound: number[];
  /** The service's RSS after the run (median), MiB. */
  readonly serviceRssMiB: number;
}

/**
 * Every setting is measured in each of ROUNDS passes over the list, the middle one in reverse
 * order, and the median is reported: this machine drifts during a run (the same setting measured
 * up to 25% apart within minutes on 2026-11-28), and a drift should fall on every row alike.
 */
const ROUNDS = 3;
/** A restarted service compiles its hot paths again; measured CPU per call settles after about 4 s. */
const WARM_UP_SECONDS = 5;

interface Toggle {
  readonly toggle: string;
  readonly scenario: "CreateOrder" | "GetOrder";
  readonly env?: Record<string, string>;
  readonly op?: Operation;
}

/** An OTLP/HTTP collector that takes every export and keeps nothing: tracing on, at its cost to the service only. */
async function traceSink() {
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => response.writeHead(200, { "content-type": "application/x-protobuf" }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, close: () => server.close() };
}

/** GetOrder over the Connect protocol (HTTP/1.1, JSON-free binary), as a browser's Connect-Web client calls it. */
function connectGetOrder(stack: Stack, orderIds: string[]): Operation {
  const token = stack.token();
  const transport = createConnectTransport({
    baseUrl: stack.httpUrl,
    httpVersion: "1.1",
    useBinaryFormat: true,
    interceptors: [(next) => async (request) => (request.header.set("authorization", `Bearer ${await token}`), next(request))],
  });
  const orders = createClient(OrderService, transport);
  return (i) => orders.getOrder({ orderId: orderIds[Math.abs(i) % orderIds.length] });
}

export async function ablation(stack: Stack, s: Scenarios, seconds: number): Promise<AblationRow[]> {
  const sink = await traceSink();
  const toggles: Toggle[] = [
    { toggle: "production shape", scenario: "CreateOrder" },
    {
      toggle: "catalog in the service's process (no PRODUCT/INVENTORY_SERVICE_URL)",
      scenario: "CreateOrder",
      env: { PRODUCT_SERVICE_URL: "", INVENTORY_SERVICE_URL: "" },
    },
    { toggle: "product cache hit (3 of 30 products, always cached)", scenario: "CreateOrder", op: s.createOrderOfFixedProducts },
    { toggle: "product cache off (every lookup goes to Product)", scenario: "CreateOrder", env: { PRODUCT_CACHE_TTL_MS: "0" } },
    { toggle: "catalog client connect-node instead of grpc-js", scenario: "CreateOrder", env: { DEPENDENCY_CLIENT: "connect-node" } },
    { toggle: "Kafka relay off (no KAFKA_BROKERS)", scenario: "CreateOrder", env: { KAFKA_BROKERS: "" } },
    // What V8's young generation costs per call: a larger semi-space scavenges less often (issue 35).
    ...[32, 64].map((mib) => ({
      toggle: `V8 semi-space ${mib} MiB instead of 16`,
      scenario: "CreateOrder" as const,
      env: { NODE_OPTIONS: SERVICE_NODE_OPTIONS.replace("--max-semi-space-size=16", `--max-semi-space-size=${mib}`) },
    })),
    { toggle: "production shape", scenario: "GetOrder" },
    { toggle: "log level warn instead of info", scenario: "GetOrder", env: { LOG_LEVEL: "warn" } },
    {
      toggle: "V8 semi-space 32 MiB instead of 16",
      scenario: "GetOrder",
      env: { NODE_OPTIONS: SERVICE_NODE_OPTIONS.replace("--max-semi-space-size=16", "--max-semi-space-size=32") },
    },
    {
      toggle: "tracing exported (OTLP/HTTP to a local collector)",
      scenario: "GetOrder",
      env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: sink.url },
    },
    { toggle: "Connect protocol (HTTP/1.1) instead of gRPC", scenario: "GetOrder", op: connectGetOrder(stack, s.createdOrderIds) },
  ];
  const measured = new Map<Toggle, { perSecond: number; failed: boolean; service: number; catalog: number; rss: number }[]>();
  let current = "{}";
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const toggle of round % 2 === 1 ? [...toggles].reverse() : toggles) {
        const env = JSON.stringify(toggle.env ?? {});
        if (env !== current) {
          await stack.restartService(toggle.env ?? {});
          // After the relay-off row the restarted relay publishes that row's backlog: not the next row's cost.
          await settle(stack.pgPid, 30);
        }
        current = env;
        const op = toggle.op ?? (toggle.scenario === "CreateOrder" ? s.createOrder : s.getOrder);
        await warmUp(CONCURRENCY, WARM_UP_SECONDS, op);
        const cpu = cpuMeter(stack.servicePid, stack.catalogPid);
        const outcome = await closedLoop(CONCURRENCY, seconds, op);
        const [service, catalog] = cpu(outcome.ok) as [number, number];
        const run = {
          perSecond: outcome.achievedPerSecond,
          failed: outcome.failed,
          service,
          catalog,
          rss: memoryMiB(stack.servicePid).rss,
        };
        console.log(
          `ablation ${round + 1}/${ROUNDS}, ${toggle.scenario}, ${toggle.toggle}: ${run.perSecond}/s, service ${run.service.toFixed(3)} ms per call`,
        );
        measured.set(toggle, [...(measured.get(toggle) ?? []), run]);
      }
    }
  } finally {
    if (current !== "{}") await stack.restartService({});
    sink.close();
  }
  return toggles.map((toggle) => {
    const runs = measured.get(toggle)!;
    return {
      toggle: toggle.toggle,
      scenario: toggle.scenario,
      perSecond: Math.round(median(runs.map((r) => r.perSecond))),
      failed: runs.some((r) => r.failed),
      serviceCpuMsPerCall: median(runs.map((r) => r.service)),
      catalogCpuMsPerCall: median(runs.map((r) => r.catalog)),
      serviceCpuMsPerRound: runs.map((r) => +r.service.toFixed(3)),
      serviceRssMiB: median(runs.map((r) => r.rss)),
    };
  });
}

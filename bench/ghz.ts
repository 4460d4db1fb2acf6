/**
 * A cross-check by a load generator we did not write: ghz (github.com/bojand/ghz, Go's grpc
 * client), installed here with `go install` at a pinned version, drives GetOrder and CreateOrder
 * against the same service with the same concurrency as bench/load.ts. Its rate and the service's
 * CPU per call are reported next to ours.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { create, toBinary, type DescFile } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { file_shop_order_v1_order } from "../gen/shop/order/v1/order_pb.js";
import { cpuMeter } from "./bench-support.js";
import { CONCURRENCY } from "./load.js";
import { PRODUCT_COUNT, type Stack } from "./stack.js";

export const GHZ_VERSION = "v0.120.0";
const GHZ = resolve("node_modules/.cache/ghz", GHZ_VERSION, "ghz");

export interface GhzRun {
  readonly scenario: "CreateOrder" | "GetOrder";
  readonly perSecond: number;
  readonly ok: number;
  readonly errors: Record<string, number>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serviceCpuMsPerCall: number;
}

function installGhz(): string {
  if (!existsSync(GHZ)) {
    console.log(`installing ghz ${GHZ_VERSION} with go install`);
    execFileSync("go", ["install", `github.com/bojand/ghz/cmd/ghz@${GHZ_VERSION}`], {
      env: { ...process.env, GOBIN: join(GHZ, "..") },
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
  return GHZ;
}

/** order.proto and everything it imports, as ghz reads them (--protoset), from the generated code's own descriptors. */
function protoset(dir: string): string {
  const files = new Map<string, DescFile>();
  const add = (file: DescFile) => {
    if (files.has(file.name)) return;
    file.dependencies.forEach(add);
    files.set(file.name, file);
  };
  add(file_shop_order_v1_order);
  const path = join(dir, "order.protoset");
  writeFileSync(
    path,
    toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: [...files.values()].map((f) => f.proto) })),
  );
  return path;
}

// Go template strings in backquotes: JSON leaves them alone.
const product = (from: number, to: number) => `bench-p-{{printf \`%04d\` (randomInt ${from} ${to})}}`;
const third = Math.floor(PRODUCT_COUNT / 3);
/** The same request as bench/scenarios.ts's createOrder, in ghz's template language. */
const CREATE_ORDER = JSON.stringify({
  requestId: "{{newUUID}}",
  userId: "shopper-{{randomInt 0 100}}",
  items: [product(0, third), product(third, 2 * third), product(2 * third, PRODUCT_COUNT)].map((productId) => ({ productId, quantity: 1 })),
  customer: { email: "bench@example.com", firstName: "Bench", lastName: "Mark", phone: "+14155550123" },
  shippingAddress: { line1: "1 Main St", city: "Springfield", state: "IL", postalCode: "62701", countryCode: "US" },
  paymentMethod: { cashOnDelivery: {} },
});

interface GhzReport {
  count: number;
  rps: number;
  statusCodeDistribution?: Record<string, number>;
  errorDistribution?: Record<string, number>;
  latencyDistribution?: { percentage: number; latency: number }[];
}

async function runGhz(bin: string, args: string[]): Promise<GhzReport> {
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.on("exit", done));
  if (code !== 0 && !out) throw new Error(`ghz exited with ${code}`);
  return JSON.parse(out) as GhzReport;
}

export async function ghzCrossCheck(stack: Stack, address: string, orderIds: string[], seconds: number): Promise<GhzRun[]> {
  const bin = installGhz();
  const dir = mkdtempSync(join(tmpdir(), "ghz-"));
  try {
    const set = protoset(dir);
    const data = join(dir, "get-order.json");
    writeFileSync(data, JSON.stringify(orderIds.slice(-5_000).map((orderId) => ({ orderId }))));
    const token = await stack.token();
    const common = ["--insecure", "--protoset", set, "-c", String(CONCURRENCY), "-z", `${seconds}s`, "--format", "json"];
    const metadata = ["-m", JSON.stringify({ authorization: `Bearer ${token}` })];
    const runs: GhzRun[] = [];
    for (const [scenario, args] of [
      ["GetOrder", ["--call", "shop.order.v1.OrderService/GetOrder", "-D", data]],
      ["CreateOrder", ["--call", "shop.order.v1.OrderService/CreateOrder", "-d", CREATE_ORDER]],
    ] as const) {
      const cpu = cpuMeter(stack.servicePid);
      const report = await runGhz(bin, [...common, ...metadata, ...args, address]);
      const { OK: ok = 0, ...errors } = report.statusCodeDistribution ?? {};
      // ghz ends a timed run by closing its connection under the calls still in flight (one per
      // worker); those are its own, not the service's.
      const closedByGhz = Object.entries(report.errorDistribution ?? {})
        .filter(([message]) => message.includes("use of closed network connection"))
        .reduce((sum, [, n]) => sum + n, 0);
      if (closedByGhz && errors.Unavailable !== undefined) {
        errors.Unavailable -= closedByGhz;
        if (errors.Unavailable <= 0) delete errors.Unavailable;
      }
      const at = (p: number) => +((report.latencyDistribution?.find((d) => d.percentage === p)?.latency ?? NaN) / 1e6).toFixed(2);
      runs.push({
        scenario,
        perSecond: Math.round(ok / seconds),
        ok,
        errors,
        p50Ms: at(50),
        p99Ms: at(99),
        serviceCpuMsPerCall: +cpu(ok)[0]!.toFixed(3),
      });
      console.log(
        `ghz ${scenario}: ${runs.at(-1)!.perSecond}/s, ${runs.at(-1)!.serviceCpuMsPerCall} ms service CPU per call, errors ${JSON.stringify(errors)}`,
      );
    }
    return runs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

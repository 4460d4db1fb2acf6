/**
 * The floors (bench/floors/): GetOrder, ListOrders, CreateOrder and Cart AddItem done with the
 * libraries the service uses underneath and nothing else, each in its own process against the
 * benchmark's PostgreSQL and catalog. Their CPU per call, PostgreSQL's CPU per call, maximum rate
 * and, under the same open load as the service's runs, p99, are what each scenario is compared to.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import type { DescService } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { CartService } from "../gen/shop/cart/v1/cart_pb.js";
import { OrderService } from "../gen/shop/order/v1/order_pb.js";
import { grpcServiceDefinition } from "../src/platform/transport/grpc-adapter.js";
import { cpuMeter, treeCpuMeter, type Client } from "./bench-support.js";
import { closedLoop, CONCURRENCY, openLoop, warmUp, type LoadOutcome, type Operation } from "./load.js";
import { addItemOperation, listOrdersOperation, orderOperations } from "./scenarios.js";
import type { BeforeService } from "./stack.js";

export type FloorName = "read" | "list" | "write" | "addItem";

export interface FloorRun extends LoadOutcome {
  readonly floor: string;
  /** The floor process's CPU per call, ms. */
  readonly cpuMsPerCall: number;
  /** The reference catalog's CPU per call, ms (the write and AddItem floors call it as the service does). */
  readonly catalogCpuMsPerCall: number;
  /** PostgreSQL's CPU per call, ms: the postmaster and all its backends. */
  readonly postgresCpuMsPerCall: number;
}

/** What each floor is, which process serves it and the scenario whose work it does. */
const FLOORS: Record<FloorName, { label: string; script: string; scenario: string; service: DescService }> = {
  write: { label: "write floor (CreateOrder)", script: "write-floor.js", scenario: "CreateOrder (3 items)", service: OrderService },
  read: { label: "read floor (GetOrder)", script: "read-floor.js", scenario: "GetOrder", service: OrderService },
  list: {
    label: "list floor (ListOrders, page of 20)",
    script: "read-floor.js",
    scenario: "ListOrders (page of 20)",
    service: OrderService,
  },
  addItem: { label: "AddItem floor (Cart AddItem)", script: "cart-floor.js", scenario: "Cart AddItem", service: CartService },
};

export const floorScenario = (name: FloorName) => FLOORS[name].scenario;

async function startFloor(script: string, args: string[]) {
  const child = spawn(process.execPath, [`dist/bench/floors/${script}`, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const [chunk] = (await once(child.stdout, "data")) as [Buffer];
  const port = chunk.toString().trim();
  const clients: Client[] = [];
  return {
    pid: child.pid!,
    client(service: DescService): Client {
      const Constructor = grpc.makeGenericClientConstructor(grpcServiceDefinition(service), service.name);
      const client: Client = new Constructor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      clients.push(client);
      return client;
    },
    async stop() {
      clients.forEach((client) => client.close());
      child.kill();
      if (child.exitCode === null) await once(child, "exit");
    },
  };
}

async function measureFloor(
  label: string,
  pids: { floor: number; catalog: number; pg: number },
  load: () => Promise<LoadOutcome>,
): Promise<FloorRun> {
  const cpu = cpuMeter(pids.floor, pids.catalog);
  const pg = treeCpuMeter(pids.pg);
  const outcome = await load();
  const [own, catalog] = cpu(outcome.ok).map((ms) => +ms.toFixed(3));
  const postgres = +pg(outcome.ok).toFixed(3);
  const run = { floor: label, ...outcome, cpuMsPerCall: own!, catalogCpuMsPerCall: catalog!, postgresCpuMsPerCall: postgres };
  console.log(
    `${label} [${run.mode}${run.targetPerSecond ? ` ${run.targetPerSecond}/s` : ""}]: ${run.achievedPerSecond}/s p99 ${run.p99Ms} ms, ${run.cpuMsPerCall} ms CPU per call, errors ${JSON.stringify(run.errors)}`,
  );
  return run;
}

/**
 * Every floor, one after another, each in a fresh process: a closed loop for its maximum and CPU
 * per call, then, when `openRates` names rates for it, an open loop at each (the rates of its
 * scenario's open-loop runs). The write floor places orders (3 random products of the benchmark's
 * 1,000, as CreateOrder does); the read and list floors read them back.
 */
export async function measureFloors(
  target: BeforeService,
  seconds: number,
  openRates: Partial<Record<FloorName, number[]>> = {},
  closed = true,
): Promise<{ closed: Partial<Record<FloorName, FloorRun>>; open: (FloorRun & { name: FloorName })[] }> {
  const created: string[] = [];
  const results: { closed: Partial<Record<FloorName, FloorRun>>; open: (FloorRun & { name: FloorName })[] } = { closed: {}, open: [] };
  const argsOf: Record<string, string[]> = {
    "write-floor.js": [target.databaseUrl, target.catalogAddress, target.topic],
    "read-floor.js": [target.databaseUrl],
    "cart-floor.js": [target.databaseUrl, target.catalogAddress, target.cartTopic],
  };
  for (const name of ["write", "read", "list", "addItem"] as const) {
    const { label, script, service } = FLOORS[name];
    const rates = openRates[name] ?? [];
    if (!closed && rates.length === 0) continue;
    const floor = await startFloor(script, argsOf[script]!);
    try {
      const client = floor.client(service);
      const op: Operation =
        name === "addItem"
          ? addItemOperation(client, `floor-${name}-${Date.now()}`)
          : name === "list"
            ? listOrdersOperation(client)
            : orderOperations(client, created)[name === "write" ? "createOrder" : "getOrder"];
      if (name === "read" && created.length === 0) throw new Error("the read floor needs the write floor's orders");
      const pids = { floor: floor.pid, catalog: target.catalogPid, pg: target.pgPid };
      // As long as the service's first scenario gets: a fresh process compiles its paths first.
      await warmUp(CONCURRENCY, 15, op);
      if (closed) results.closed[name] = await measureFloor(label, pids, () => closedLoop(CONCURRENCY, seconds, op));
      for (const rate of rates) results.open.push({ name, ...(await measureFloor(label, pids, () => openLoop(rate, seconds, op))) });
    } finally {
      await floor.stop();
    }
  }
  return results;
}

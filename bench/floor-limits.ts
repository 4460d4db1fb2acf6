/**
 * The two floors (bench/floors/): GetOrder and CreateOrder done with the libraries the service
 * uses underneath and nothing else, each in its own process against the benchmark's PostgreSQL
 * and catalog. Their CPU per call and maximum rate are what each scenario is compared to.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import * as grpc from "@grpc/grpc-js";
import { OrderService } from "../gen/shop/order/v1/order_pb.js";
import { grpcServiceDefinition } from "../src/platform/transport/grpc-adapter.js";
import { cpuMeter, type Client } from "./bench-support.js";
import { closedLoop, CONCURRENCY, warmUp, type LoadOutcome, type Operation } from "./load.js";
import { orderOperations } from "./scenarios.js";

export interface FloorRun extends LoadOutcome {
  readonly floor: string;
  /** The floor process's CPU per call, ms. */
  readonly cpuMsPerCall: number;
  /** The reference catalog's CPU per call, ms (the write floor calls it as the service does). */
  readonly catalogCpuMsPerCall: number;
}

async function startFloor(script: string, args: string[]) {
  const child = spawn(process.execPath, [`dist/bench/floors/${script}`, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const [chunk] = (await once(child.stdout, "data")) as [Buffer];
  const Constructor = grpc.makeGenericClientConstructor(grpcServiceDefinition(OrderService), OrderService.name);
  const client: Client = new Constructor(`127.0.0.1:${chunk.toString().trim()}`, grpc.credentials.createInsecure());
  return {
    pid: child.pid!,
    client,
    async stop() {
      client.close();
      child.kill();
      if (child.exitCode === null) await once(child, "exit");
    },
  };
}

async function measureFloor(floor: string, pid: number, catalogPid: number, seconds: number, op: Operation): Promise<FloorRun> {
  // As long as the service's first scenario gets: a fresh process compiles its paths first.
  await warmUp(CONCURRENCY, 15, op);
  const cpu = cpuMeter(pid, catalogPid);
  const outcome = await closedLoop(CONCURRENCY, seconds, op);
  const [own, catalog] = cpu(outcome.ok).map((ms) => +ms.toFixed(3));
  const run = { floor, ...outcome, cpuMsPerCall: own!, catalogCpuMsPerCall: catalog! };
  console.log(`${floor}: ${run.achievedPerSecond}/s, ${run.cpuMsPerCall} ms CPU per call, errors ${JSON.stringify(run.errors)}`);
  return run;
}

/**
 * The write floor places orders (3 random products of the benchmark's 1,000, as CreateOrder
 * does), then the read floor reads them back. Run before the service starts, on a database the
 * caller clears afterwards.
 */
export async function measureFloors(
  target: { databaseUrl: string; catalogAddress: string; catalogPid: number; topic: string },
  seconds: number,
) {
  const created: string[] = [];
  const writer = await startFloor("write-floor.js", [target.databaseUrl, target.catalogAddress, target.topic]);
  let write: FloorRun;
  try {
    write = await measureFloor(
      "write floor (CreateOrder)",
      writer.pid,
      target.catalogPid,
      seconds,
      orderOperations(writer.client, created).createOrder,
    );
  } finally {
    await writer.stop();
  }
  const reader = await startFloor("read-floor.js", [target.databaseUrl]);
  try {
    const read = await measureFloor(
      "read floor (GetOrder)",
      reader.pid,
      target.catalogPid,
      seconds,
      orderOperations(reader.client, created).getOrder,
    );
    return { read, write };
  } finally {
    await reader.stop();
  }
}

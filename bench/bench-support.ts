import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { DescService } from "@bufbuild/protobuf";
import { SignJWT } from "jose";
import pg from "pg";
import { grpcServiceDefinition } from "../src/platform/grpc-adapter.js";

export type Client = grpc.Client & Record<string, Function>;

export interface BenchService {
  readonly pid: number;
  client(service: DescService): Client;
  stop(): Promise<void>;
}

/**
 * Starts the built service as its own process on embedded PostgreSQL in a temporary directory,
 * waits for /readyz, and gives the reference catalog stock that a benchmark cannot exhaust.
 */
const BENCH_SECRET = "bench-secret-for-the-order-service-0123456789";

async function adminToken(): Promise<string> {
  return new SignJWT({ roles: ["service"] })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("bench")
    .setIssuer("order-service")
    .setAudience("order-service")
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(BENCH_SECRET));
}

export async function startService(ports: { grpc: number; http: number; pg: number }, env: Record<string, string> = {}): Promise<BenchService> {
  const dataDir = mkdtempSync(join(tmpdir(), "order-bench-"));
  // As root, embedded PostgreSQL runs initdb as another user, who must be able to enter the directory.
  chmodSync(dataDir, 0o755);
  const log = openSync(join(dataDir, "service.log"), "w");
  // BENCH_PROFILE=1 leaves a V8 CPU profile of the service in bench/results/profiles.
  const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir=bench/results/profiles"] : [];
  const child = spawn(process.execPath, [...profile, "dist/src/main.js"], {
    env: { ...process.env, DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(ports.pg), GRPC_PORT: String(ports.grpc), HTTP_PORT: String(ports.http), LOG_LEVEL: "info", HOST: "127.0.0.1", JWT_SECRET: BENCH_SECRET, RATE_LIMIT_PER_SECOND: "0", ...env },
    stdio: ["ignore", log, log],
  });
  for (let i = 0; ; i++) {
    if (i > 300 || child.exitCode !== null) throw new Error(`service not ready; see ${dataDir}/service.log`);
    if (await fetch(`http://127.0.0.1:${ports.http}/readyz`).then((r) => r.ok, () => false)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const db = new pg.Client({ connectionString: `postgresql://orders:orders@127.0.0.1:${ports.pg}/orders` });
  await db.connect();
  await db.query(`update catalog_products set available = 100000000 where active`);
  await db.end();
  const clients: Client[] = [];
  const bearer = `Bearer ${await adminToken()}`;
  // Every call carries the token, as a calling service's would.
  const authorize: grpc.Interceptor = (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set("authorization", bearer);
        next(metadata, listener);
      },
    });
  return {
    pid: child.pid!,
    client(service) {
      const Constructor = grpc.makeGenericClientConstructor(grpcServiceDefinition(service) as never, service.name);
      const client = new Constructor(`127.0.0.1:${ports.grpc}`, grpc.credentials.createInsecure(), { interceptors: [authorize] }) as unknown as Client;
      clients.push(client);
      return client;
    },
    async stop() {
      clients.forEach((client) => client.close());
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function call<T>(client: Client, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method]!(request, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (error: grpc.ServiceError | null, response: T) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

/** utime + stime of one process, in ms (Linux /proc; clock ticks are 100 Hz). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

export const machine = () => `${cpus().length} cores, ${cpus()[0]?.model.trim()}, Node ${process.version}`;

export const orderRequest = (requestId: string, userId: string) => ({
  requestId,
  userId,
  customer: { email: "bench@example.com", firstName: "Bench", lastName: "Mark", phone: "+14155550123" },
  items: [{ productId: "prod-mug", quantity: 1 }, { productId: "prod-tee", quantity: 1 }, { productId: "prod-cap", quantity: 1 }],
  shippingAddress: { line1: "1 Main St", city: "Springfield", state: "IL", postalCode: "62701", countryCode: "US" },
  paymentMethod: { method: { case: "cashOnDelivery", value: {} } },
});

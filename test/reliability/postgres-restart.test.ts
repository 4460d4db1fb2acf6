import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/health/v1/health_pb.js";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "../../src/db/embedded-postgres.js";
import { LIVENESS } from "../../src/platform/observability/health.js";
import { query } from "../support/db.js";
import { createOrderRequest } from "../support/fixtures.js";
import { grpcDetails, grpcReason } from "../support/grpc-details.js";
import { freePort } from "../support/processes.js";
import { startTestApp, unary, type TestApp } from "../support/test-app.js";

/**
 * What a client may be told while the database goes away and comes back, whenever its call
 * started: success, the service's own "dependency unavailable" with a retry delay, or its
 * deadline. Anything else (INTERNAL, a bare UNAVAILABLE, ...) is a bug.
 */
function judge(error: grpc.ServiceError | undefined): string {
  if (!error) return "OK";
  if (error.code === grpc.status.DEADLINE_EXCEEDED) return "DEADLINE_EXCEEDED";
  const reason = grpcReason(error);
  if (error.code === grpc.status.UNAVAILABLE && reason === "DEPENDENCY_UNAVAILABLE" && grpcDetails(error, RetryInfoSchema).length === 1) {
    return "UNAVAILABLE DEPENDENCY_UNAVAILABLE";
  }
  return `UNEXPECTED ${grpc.status[error.code]} ${reason ?? "(no reason)"} "${error.details}"`;
}

describe("PostgreSQL restarts while orders are placed", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "pg-restart-"));
  // As root, embedded PostgreSQL runs initdb as another user, who must be able to enter the directory.
  chmodSync(dataDir, 0o755);
  let db: EmbeddedDatabase | undefined;
  let app: TestApp | undefined;
  afterAll(async () => {
    await app?.stop();
    await db?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("then calls fail with UNAVAILABLE while it is down, the service recovers by itself, and no order is half-written", async () => {
    const port = await freePort();
    const log = pino({ level: "silent" });
    db = await startEmbeddedPostgres({ dataDir, port, log });
    app = await startTestApp({ RPC_DEFAULT_TIMEOUT_MS: "3000" }, { databaseUrl: db.url });
    const client = app.grpcClient(OrderService);
    let phase: "up" | "down" | "back" = "up";
    const codes = { up: new Map<string, number>(), down: new Map<string, number>(), back: new Map<string, number>() };
    const acknowledged: string[] = [];
    const unexpected: string[] = [];
    let running = true;
    const worker = async () => {
      while (running) {
        const at = phase;
        const outcome = await unary<{ order: { id: string } }>(
          client,
          "createOrder",
          createOrderRequest({ items: [{ productId: "prod-socks", quantity: 1 }] }),
        ).then(
          (response) => (acknowledged.push(response.order.id), judge(undefined)),
          (error: grpc.ServiceError) => judge(error),
        );
        // Counted where the call started, for the log; judged by its outcome alone.
        codes[at].set(outcome, (codes[at].get(outcome) ?? 0) + 1);
        if (outcome.startsWith("UNEXPECTED")) unexpected.push(outcome);
        if (outcome !== "OK") await sleep(50);
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await sleep(2_000);

    await db.stop();
    phase = "down";
    const downSince = Date.now();
    // Readiness follows within a health-check interval, so a load balancer stops sending calls.
    for (let i = 0; (await fetch(`http://127.0.0.1:${app.httpPort}/readyz`)).status !== 503; i++) {
      if (i > 150) throw new Error("/readyz never reported PostgreSQL down");
      await sleep(100);
    }
    // The liveness probe's name stays SERVING: a pod is not restarted because its database is down.
    const health = app.grpcClient(Health);
    const status = async (service: string) => (await unary<{ status: number }>(health, "check", { service })).status;
    expect(await status("")).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
    expect(await status(LIVENESS)).toBe(HealthCheckResponse_ServingStatus.SERVING);
    await sleep(Math.max(0, 6_000 - (Date.now() - downSince)));

    db = await startEmbeddedPostgres({ dataDir, port, log });
    phase = "back";
    const before = acknowledged.length;
    for (let i = 0; acknowledged.length < before + 20; i++) {
      if (i > 300)
        throw new Error(`no order accepted within 30 s of PostgreSQL's return: ${JSON.stringify(Object.fromEntries(codes.back))}`);
      await sleep(100);
    }
    running = false;
    await Promise.all(workers);
    console.info(
      `postgres restart: ${JSON.stringify(Object.fromEntries(Object.entries(codes).map(([k, v]) => [k, Object.fromEntries(v)])))}`,
    );

    // A transaction whose BEGIN, COMMIT or ROLLBACK met the dead connection must still give it back.
    // The relay, the sweeper and readiness checks borrow one now and then, so a leak is one that
    // stays in use, not one seen in use once.
    const inUse = async () =>
      Number(
        /^db_pool_connections\{state="in_use"\} (\d+)$/m.exec(await (await fetch(`http://127.0.0.1:${app!.httpPort}/metrics`)).text())?.[1],
      );
    const settled = Date.now() + 5_000;
    let borrowed = await inUse();
    while (borrowed !== 0 && Date.now() < settled) borrowed = await sleep(50).then(inUse);
    expect(borrowed).toBe(0);

    expect(unexpected).toEqual([]);
    expect(codes.down.get("UNAVAILABLE DEPENDENCY_UNAVAILABLE")).toBeGreaterThan(0);
    expect(codes.up.get("OK")).toBeGreaterThan(0);
    expect(codes.back.get("OK")).toBeGreaterThan(0);

    // Every acknowledged order is there, and every order there is whole: items, history, event.
    const partial = await query(
      db.url,
      `select o.id from orders o
       where not exists (select 1 from order_items i where i.order_id = o.id)
          or not exists (select 1 from order_status_history h where h.order_id = o.id)
          or not exists (select 1 from outbox_events e where e.aggregate_id = o.id::text)`,
    );
    expect(partial).toEqual([]);
    const stored = new Set((await query<{ id: string }>(db.url, `select id from orders`)).map((row) => row.id));
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  }, 120_000);
});

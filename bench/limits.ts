/**
 * The two limits every service figure is compared to, measured on this machine in the same run:
 * (a) the RPC floor, a trivial unary echo on a bare @grpc/grpc-js server in its own process, and
 * (b) the database ceiling, pgbench running every statement a CreateOrder costs the database
 * (the order service's and the reference Inventory's reservation) against the service's own
 * PostgreSQL, on the same 1,000 products the scenarios order from.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import * as grpc from "@grpc/grpc-js";
import { cpuMs, percentile } from "./bench-support.js";

export async function echoFloor(seconds: number, concurrency: number) {
  const server = spawn(process.execPath, ["dist/bench/echo-server.js"], { stdio: ["ignore", "pipe", "inherit"] });
  const [chunk] = (await once(server.stdout, "data")) as [Buffer];
  const port = Number(chunk.toString().trim());
  const identity = (bytes: Buffer) => bytes;
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const payload = Buffer.alloc(64, 1);
  const echo = () =>
    new Promise<void>((resolve, reject) =>
      client.makeUnaryRequest("/bench.Echo/Echo", identity, identity, payload, (error) => (error ? reject(error) : resolve())),
    );
  const warm = Date.now() + 1_000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < warm) await echo();
    }),
  );
  const latencies: number[] = [];
  const cpuBefore = cpuMs(server.pid!);
  const started = performance.now();
  const until = Date.now() + seconds * 1_000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        const t = performance.now();
        await echo();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuMs(server.pid!) - cpuBefore;
  client.close();
  server.kill();
  latencies.sort((a, b) => a - b);
  return {
    limit: "grpc-js echo (RPC floor)",
    perSecond: Math.round(latencies.length / elapsed),
    p50Ms: +percentile(latencies, 50).toFixed(2),
    p99Ms: +percentile(latencies, 99).toFixed(2),
    serverCpuMsPerCall: +(cpu / latencies.length).toFixed(3),
  };
}

/**
 * CreateOrder's statements as the service sends them (test/ops/sql-statements-per-call.test.ts counts them):
 * the idempotency claim (token and lease), the pending reservation with the order number, the
 * reference Inventory's reservation of three products (its own transaction: each product locked,
 * its stock by location read and taken, in id order as it does), then one transaction that in one
 * statement takes the pending reservation, inserts the order's rows (with its fulfilment order
 * and its 1 + 3 + 1 events) and records the response. Response and event are about the size of a
 * real one.
 */
const CREATE_ORDER_SQL = String.raw`\set n random(1, 1000000000)
\set p1 random(0, 332)
\set p2 random(333, 665)
\set p3 random(666, 999)
INSERT INTO idempotency_records (key, request_hash, created_at, claim_token, lease_until) VALUES ('bench:' || :n || ':' || clock_timestamp(), 'h', now(), gen_random_uuid()::text, now() + interval '15 seconds') RETURNING quote_literal(key) AS rkey, quote_literal(claim_token) AS rtoken \gset
WITH id AS (SELECT gen_random_uuid()::text AS v), held AS (INSERT INTO pending_reservations (reservation_id, lease_until) SELECT v, now() + interval '15 seconds' FROM id) SELECT quote_literal(v) AS qid, nextval('order_number_seq') AS seq FROM id \gset
BEGIN;
INSERT INTO catalog_reservations (id, lines, allocations, status, created_at, updated_at) VALUES (:qid, '[{"productId":"a","quantity":1},{"productId":"b","quantity":1},{"productId":"c","quantity":1}]', '[]', 'HELD', now(), now()) ON CONFLICT (id) DO NOTHING RETURNING created_at;
SELECT 1 FROM catalog_products WHERE id = 'bench-p-' || lpad(:p1::text, 4, '0') FOR UPDATE;
SELECT s.location_id, l.seller_id, s.available, s.reserved FROM catalog_stock s JOIN catalog_locations l ON l.id = s.location_id WHERE s.product_id = 'bench-p-' || lpad(:p1::text, 4, '0') AND s.variant_id = '' ORDER BY l.position, l.id;
WITH s AS (UPDATE catalog_stock SET available = available - 1, reserved = reserved + 1 WHERE location_id = 'main' AND product_id = 'bench-p-' || lpad(:p1::text, 4, '0') AND variant_id = '') UPDATE catalog_products SET available = available - 1, reserved = reserved + 1 WHERE id = 'bench-p-' || lpad(:p1::text, 4, '0');
SELECT 1 FROM catalog_products WHERE id = 'bench-p-' || lpad(:p2::text, 4, '0') FOR UPDATE;
SELECT s.location_id, l.seller_id, s.available, s.reserved FROM catalog_stock s JOIN catalog_locations l ON l.id = s.location_id WHERE s.product_id = 'bench-p-' || lpad(:p2::text, 4, '0') AND s.variant_id = '' ORDER BY l.position, l.id;
WITH s AS (UPDATE catalog_stock SET available = available - 1, reserved = reserved + 1 WHERE location_id = 'main' AND product_id = 'bench-p-' || lpad(:p2::text, 4, '0') AND variant_id = '') UPDATE catalog_products SET available = available - 1, reserved = reserved + 1 WHERE id = 'bench-p-' || lpad(:p2::text, 4, '0');
SELECT 1 FROM catalog_products WHERE id = 'bench-p-' || lpad(:p3::text, 4, '0') FOR UPDATE;
SELECT s.location_id, l.seller_id, s.available, s.reserved FROM catalog_stock s JOIN catalog_locations l ON l.id = s.location_id WHERE s.product_id = 'bench-p-' || lpad(:p3::text, 4, '0') AND s.variant_id = '' ORDER BY l.position, l.id;
WITH s AS (UPDATE catalog_stock SET available = available - 1, reserved = reserved + 1 WHERE location_id = 'main' AND product_id = 'bench-p-' || lpad(:p3::text, 4, '0') AND variant_id = '') UPDATE catalog_products SET available = available - 1, reserved = reserved + 1 WHERE id = 'bench-p-' || lpad(:p3::text, 4, '0');
UPDATE catalog_reservations SET lines = '[{"productId":"a","quantity":1},{"productId":"b","quantity":1},{"productId":"c","quantity":1}]', allocations = '[{"productId":"a","variantId":"","locationId":"main","held":1,"committed":0},{"productId":"b","variantId":"","locationId":"main","held":1,"committed":0},{"productId":"c","variantId":"","locationId":"main","held":1,"committed":0}]', status = 'HELD', updated_at = now() WHERE id = :qid;
COMMIT;
BEGIN;
WITH taken AS (DELETE FROM pending_reservations WHERE reservation_id = :qid AND NOT abandoned RETURNING 1),
  recorded AS (UPDATE idempotency_records SET response = decode(repeat('0a', 600), 'hex'), completed_at = now() WHERE key = :rkey AND claim_token = :rtoken RETURNING 1),
  o AS (INSERT INTO orders (id, order_number, user_id, customer_email, customer_first_name, customer_last_name, customer_phone, shipping_address, status, payment_method, payment_display, payment_status, currency, subtotal_minor, tax_minor, shipping_minor, total_minor, notes, estimated_delivery_date, reservation_id, version, created_at, updated_at, payment_trail) VALUES (:qid, 'ORD-2026-' || lpad(:seq::text, 6, '0'), 'bench-user', 'b@example.com', 'B', 'M', '', '{"line1":"1 Main St","city":"X","postalCode":"1","countryCode":"US"}', 'PENDING', 'CASH_ON_DELIVERY', '', 'PENDING', 'USD', 5549, 444, 0, 5993, '', '2026-11-27', :qid, 1, now(), now(), '{"authorizations":[],"captures":[]}') RETURNING id),
  i AS (INSERT INTO order_items (id, order_id, position, product_id, sku, name, image_url, quantity, unit_price_minor, status) VALUES (gen_random_uuid(), :qid, 0, 'prod-mug', 'MUG-001', 'Stoneware mug', '', 1, 1250, 'PENDING'), (gen_random_uuid(), :qid, 1, 'prod-tee', 'TEE-001', 'Organic cotton tee', '', 1, 2400, 'PENDING'), (gen_random_uuid(), :qid, 2, 'prod-cap', 'CAP-001', 'Canvas cap', '', 1, 1899, 'PENDING')),
  h AS (INSERT INTO order_status_history (order_id, from_status, to_status, changed_at, actor, reason) SELECT id, NULL, 'PENDING', now(), 'bench-user', 'placed' FROM o),
  f AS (INSERT INTO fulfillment_orders (id, order_id, seller_id, location_id, status, fulfill_at, version, created_at, updated_at, lines, holds) VALUES (gen_random_uuid(), :qid::uuid, '', 'main', 'OPEN', NULL, 1, now(), now(), '[{"id":"00000000-0000-4000-8000-000000000001","orderItemId":"00000000-0000-4000-8000-000000000002","productId":"prod-mug","variantId":"","quantity":1,"remaining":1},{"id":"00000000-0000-4000-8000-000000000003","orderItemId":"00000000-0000-4000-8000-000000000004","productId":"prod-tee","variantId":"","quantity":1,"remaining":1},{"id":"00000000-0000-4000-8000-000000000005","orderItemId":"00000000-0000-4000-8000-000000000006","productId":"prod-cap","variantId":"","quantity":1,"remaining":1}]', '[]')),
  ev AS (INSERT INTO outbox_events (event_id, topic, aggregate_id, event_type, payload, occurred_at, next_attempt_at, trace_parent) SELECT gen_random_uuid(), 'orders.v1', id, t, decode(repeat('0a', 300), 'hex'), now(), now(), '00-' || md5(t) || '-0000000000000001-00' FROM o, unnest(ARRAY['shop.order.v1.OrderCreated', 'shop.order.v1.OrderItemCreated', 'shop.order.v1.OrderItemCreated', 'shop.order.v1.OrderItemCreated', 'shop.order.v1.FulfillmentOrderCreated']) t)
SELECT (SELECT count(*) FROM taken), (SELECT count(*) FROM recorded);
COMMIT;
`;

/** psql against the benchmark database. */
function psql(pgPort: number, sql: string) {
  execFileSync("psql", ["-h", "127.0.0.1", "-p", String(pgPort), "-U", "orders", "-qc", sql, "orders"], {
    env: { ...process.env, PGPASSWORD: "orders" },
  });
}

/**
 * Removes what pgbench wrote, so the service starts on an empty database: the relay would
 * otherwise first publish pgbench's outbox rows, whose topic does not exist.
 */
export function clearPgbenchRows(pgPort: number) {
  psql(
    pgPort,
    "truncate outbox_events, order_status_history, order_items, orders, idempotency_records, pending_reservations, catalog_reservations, fulfillment_orders",
  );
  psql(pgPort, "update catalog_products set reserved = 0");
  psql(pgPort, "update catalog_stock set reserved = 0");
}

/** pgbench with 8 clients; `withoutNotify` first disables the outbox trigger that wakes the relay. */
export function pgbenchCeiling(pgPort: number, seconds: number, withoutNotify = false) {
  const dir = mkdtempSync(join(tmpdir(), "pgbench-"));
  const script = join(dir, "create-order.sql");
  writeFileSync(script, CREATE_ORDER_SQL);
  const trigger = (state: "enable" | "disable") => psql(pgPort, `alter table outbox_events ${state} trigger outbox_events_notify`);
  if (withoutNotify) trigger("disable");
  try {
    const output = execFileSync(
      "pgbench",
      ["-n", "-h", "127.0.0.1", "-p", String(pgPort), "-U", "orders", "-c", "8", "-j", "2", "-T", String(seconds), "-f", script, "orders"],
      { env: { ...process.env, PGPASSWORD: "orders" }, encoding: "utf8" },
    );
    const tps = Number(/tps = ([\d.]+)/.exec(output)?.[1]);
    const latency = Number(/latency average = ([\d.]+) ms/.exec(output)?.[1]);
    return {
      limit: withoutNotify
        ? "the same without the outbox NOTIFY trigger"
        : "pgbench, CreateOrder's statements with the reservation (database ceiling)",
      perSecond: Math.round(tps),
      averageLatencyMs: latency,
      clients: 8,
    };
  } finally {
    if (withoutNotify) trigger("enable");
    rmSync(dir, { recursive: true, force: true });
  }
}

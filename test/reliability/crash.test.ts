import * as grpc from "@grpc/grpc-js";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { query } from "../support/db.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startConsumer, type Received } from "../support/kafka-consumer.js";
import { startServiceStack } from "../support/service-process.js";
import { unary } from "../support/test-app.js";

const ORDERS = 2_000;
const CONCURRENCY = 16;
/** Kill the service when this share of the orders has been acknowledged. */
const KILL_AT = [0.1, 0.3, 0.5, 0.7, 0.9];
/** A client retries these with the same request id; anything else is a failure of the test. */
const RETRYABLE = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.ABORTED, grpc.status.CANCELLED]);
const PRODUCTS = ["prod-mug", "prod-tee", "prod-cap", "prod-bottle", "prod-notebook", "prod-socks"];

type Created = { order: { id: string; orderNumber: string } };

describe("the service is killed (SIGKILL) again and again while 2,000 orders are placed", () => {
  let stack: Awaited<ReturnType<typeof startServiceStack>>;
  beforeAll(async () => {
    // Short deadlines, so a claim or a reservation left by a killed process lapses within seconds.
    stack = await startServiceStack({ RPC_DEFAULT_TIMEOUT_MS: "3000", RPC_MAX_TIMEOUT_MS: "3000", RESERVATION_SWEEP_MS: "500" });
    await stack.startService();
  }, 120_000);
  afterAll(async () => stack?.stop());

  it("then every acknowledged order exists once, retries get the same order, every order's event is on Kafka, and no reservation dangles", async () => {
    const orders = stack.client(OrderService);
    const requests = Array.from({ length: ORDERS }, (_, i) =>
      createOrderRequest({ userId: `crash-${i % 40}`, items: [{ productId: PRODUCTS[i % PRODUCTS.length]!, quantity: 1 + (i % 3) }] }),
    );
    const acknowledged = new Map<string, string>();
    const failures: Record<string, number> = {};
    let next = 0;
    let kills = 0;

    /** Attempts on their way now; at each kill, those that then fail are the ones the kill interrupted. */
    const inFlight = new Set<number>();
    const interruptedBy: number[] = KILL_AT.map(() => 0);
    const watchedBy = new Map<number, number>();
    let attempts = 0;
    const place = async (request: (typeof requests)[number]) => {
      for (;;) {
        const attempt = attempts++;
        inFlight.add(attempt);
        try {
          const { order } = await unary<Created>(orders, "createOrder", request, { deadline: Date.now() + 3_000 });
          acknowledged.set(request.requestId!, order.id);
          return;
        } catch (error) {
          const code = (error as grpc.ServiceError).code;
          failures[grpc.status[code]] = (failures[grpc.status[code]] ?? 0) + 1;
          const kill = watchedBy.get(attempt);
          if (kill !== undefined) interruptedBy[kill]!++;
          if (!RETRYABLE.has(code)) throw error;
          await sleep(100);
        } finally {
          inFlight.delete(attempt);
          watchedBy.delete(attempt);
        }
      }
    };
    const client = async () => {
      while (next < ORDERS) await place(requests[next++]!);
    };
    const killer = async () => {
      for (const [k, share] of KILL_AT.entries()) {
        while (acknowledged.size < share * ORDERS) await sleep(10);
        for (const attempt of inFlight) watchedBy.set(attempt, k);
        await stack.service!.kill("SIGKILL");
        kills++;
        await stack.startService();
      }
    };
    await Promise.all([killer(), ...Array.from({ length: CONCURRENCY }, client)]);
    console.info(
      `crash test: ${ORDERS} orders, ${kills} kills, calls each kill interrupted ${JSON.stringify(interruptedBy)}, failed attempts retried: ${JSON.stringify(failures)}`,
    );
    expect(kills).toBe(KILL_AT.length);
    // Every kill landed while calls were on their way, and they failed: the crash was in the middle of work.
    expect(interruptedBy.filter((n) => n === 0)).toEqual([]);
    expect(acknowledged.size).toBe(ORDERS);

    // Exactly once: one order per request, and it is the acknowledged one.
    const rows = await query<{ id: string }>(stack.databaseUrl, `select id from orders`);
    expect(rows.length).toBe(ORDERS);
    expect(new Set(rows.map((row) => row.id))).toEqual(new Set(acknowledged.values()));

    // Every retry of a request id answers with the same order.
    next = 0;
    const again = async () => {
      while (next < ORDERS) {
        const request = requests[next++]!;
        const { order } = await unary<Created>(orders, "createOrder", request);
        expect(order.id).toBe(acknowledged.get(request.requestId!));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, again));

    // Every order's OrderCreated reached Kafka; a duplicate (relay killed between publishing and
    // marking) carries the same event id.
    const consumer = await startConsumer(inject("kafkaBrokers"), stack.topic);
    try {
      const created = (all: Received[]) => all.filter((m) => m.headers.ce_type === "shop.order.v1.OrderCreated");
      const received = await consumer.until((all) => new Set(created(all).map((m) => m.key)).size >= ORDERS, 120_000);
      const eventIds = new Map<string, Set<string>>();
      for (const message of created(received)) {
        eventIds.set(message.key, (eventIds.get(message.key) ?? new Set()).add(message.headers.ce_id!));
      }
      expect([...acknowledged.values()].filter((id) => !eventIds.has(id))).toEqual([]);
      expect([...eventIds.values()].filter((ids) => ids.size !== 1)).toEqual([]);
      console.info(
        `crash test: ${created(received).length} OrderCreated records read for ${eventIds.size} orders (the rest are redeliveries of the same event id)`,
      );
    } finally {
      await consumer.stop();
    }

    // No dangling reservation: once the sweeper has run, every held reservation is an order's and
    // the reserved stock is exactly the orders' quantities.
    for (let i = 0; (await query(stack.databaseUrl, `select 1 from pending_reservations`)).length > 0; i++) {
      if (i > 300) throw new Error("pending reservations were never swept");
      await sleep(100);
    }
    const orphans = await query(
      stack.databaseUrl,
      `select r.id from catalog_reservations r left join orders o on o.id::text = r.id where r.status = 'HELD' and o.id is null`,
    );
    expect(orphans).toEqual([]);
    const [stock] = await query<{ reserved: string; ordered: string }>(
      stack.databaseUrl,
      `select (select sum(reserved) from catalog_products) as reserved, (select sum(quantity) from order_items) as ordered`,
    );
    expect(stock!.reserved).toBe(stock!.ordered);
    const [released] = await query<{ n: number }>(
      stack.databaseUrl,
      `select count(*)::int as n from catalog_reservations where status = 'RELEASED'`,
    );
    console.info(`crash test: reservations of orders never written, released: ${released!.n}`);
  }, 600_000);
});

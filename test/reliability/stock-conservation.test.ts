import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CartService } from "../../gen/shop/cart/v1/cart_pb.js";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { checkoutRequest } from "../support/cart-fixtures.js";
import { query } from "../support/db.js";
import { startServiceStack } from "../support/service-process.js";
import { unary } from "../support/test-app.js";

/** Five minutes in CI, as the issue asks; STOCK_SECONDS shortens it for a quick local run. */
const SECONDS = Number(process.env.STOCK_SECONDS ?? 300);
/** Scarce on purpose, so checkouts run out and compete for the last units. */
const INITIAL: Record<string, number> = { "prod-poster": 10, "prod-lamp": 25, "prod-backpack": 40 };
const PRODUCTS = Object.keys(INITIAL);
/** Outcomes a shopper may meet when racing others; anything else fails the test. */
const EXPECTED = new Set(["OK", "FAILED_PRECONDITION", "ABORTED"]);

describe("stock conservation under concurrent checkouts and cancellations", () => {
  let stack: Awaited<ReturnType<typeof startServiceStack>>;
  beforeAll(async () => {
    stack = await startServiceStack({ PRODUCT_CACHE_TTL_MS: "0" });
    for (const [id, available] of Object.entries(INITIAL)) {
      await query(stack.databaseUrl, `update catalog_products set available = $2, reserved = 0 where id = $1`, [id, available]);
    }
    await stack.startService();
  }, 120_000);
  afterAll(async () => stack?.stop());

  it(`then for ${SECONDS} s reserved + available always equals the initial stock and neither goes negative`, async () => {
    const carts = stack.client(CartService);
    const orders = stack.client(OrderService);
    const placed: string[] = [];
    const outcomes = new Map<string, number>();
    const unexpected: string[] = [];
    const record = (what: string, outcome: string) => {
      outcomes.set(`${what} ${outcome}`, (outcomes.get(`${what} ${outcome}`) ?? 0) + 1);
      if (!EXPECTED.has(outcome)) unexpected.push(`${what} ${outcome}`);
    };
    const call = (client: typeof carts, method: string, request: unknown) =>
      unary<{ order?: { id: string } }>(client, method, request).then(
        (response) => ({ outcome: "OK", response }),
        (error: grpc.ServiceError) => ({ outcome: grpc.status[error.code]!, response: undefined }),
      );

    const violations: string[] = [];
    const checkStock = async () => {
      const rows = await query<{ id: string; available: number; reserved: number }>(
        stack.databaseUrl,
        `select id, available, reserved from catalog_products where id = any($1)`,
        [PRODUCTS],
      );
      for (const row of rows) {
        if (row.available < 0 || row.reserved < 0 || row.available + row.reserved !== INITIAL[row.id]) {
          violations.push(`${row.id}: available ${row.available}, reserved ${row.reserved}, initial ${INITIAL[row.id]}`);
        }
      }
    };

    const until = Date.now() + SECONDS * 1_000;
    const shopper = async (n: number) => {
      const userId = `stock-${n}`;
      while (Date.now() < until) {
        const productId = PRODUCTS[Math.floor(Math.random() * PRODUCTS.length)]!;
        const added = await call(carts, "addItem", { userId, productId, quantity: 1 + Math.floor(Math.random() * 3) });
        record("AddItem", added.outcome === "INVALID_ARGUMENT" ? "OK" : added.outcome);
        const checkout = await call(carts, "checkout", checkoutRequest(userId));
        record("Checkout", checkout.outcome);
        if (checkout.response?.order) placed.push(checkout.response.order.id);
        else await call(carts, "clearCart", { userId });
        // Cancel about as often as orders are placed, so stock keeps coming back.
        if (placed.length && Math.random() < 0.6) {
          const orderId = placed.splice(Math.floor(Math.random() * placed.length), 1)[0]!;
          const cancelled = await call(orders, "cancelOrder", { requestId: randomUUID(), orderId, reason: "changed my mind" });
          record("CancelOrder", cancelled.outcome);
        }
      }
    };
    const sampler = (async () => {
      while (Date.now() < until) {
        await checkStock();
        await sleep(500);
      }
    })();
    await Promise.all([sampler, ...Array.from({ length: 8 }, (_, n) => shopper(n))]);

    for (let i = 0; (await query(stack.databaseUrl, `select 1 from pending_reservations`)).length > 0; i++) {
      if (i > 300) throw new Error("pending reservations were never settled");
      await sleep(100);
    }
    await checkStock();
    const [held] = await query<{ reserved: number; ordered: number }>(
      stack.databaseUrl,
      `select (select coalesce(sum(reserved), 0)::int from catalog_products where id = any($1)) as reserved,
              (select coalesce(sum(i.quantity), 0)::int from order_items i join orders o on o.id = i.order_id where o.status <> 'CANCELLED') as ordered`,
      [PRODUCTS],
    );
    console.info(`stock conservation: ${SECONDS} s, outcomes ${JSON.stringify(Object.fromEntries(outcomes))}, reserved at the end ${held!.reserved}`);
    expect(violations).toEqual([]);
    expect(unexpected).toEqual([]);
    expect(held!.reserved).toBe(held!.ordered);
    expect(outcomes.get("Checkout OK") ?? 0).toBeGreaterThan(0);
    expect(outcomes.get("CancelOrder OK") ?? 0).toBeGreaterThan(0);
  }, (SECONDS + 120) * 1_000);
});

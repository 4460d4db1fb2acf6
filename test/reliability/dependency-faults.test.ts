import { Code } from "@connectrpc/connect";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { startInventoryTestServer, startProductTestServer } from "../support/catalog-test-server.js";
import { query } from "../support/db.js";
import { failure } from "../support/errors.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTcpProxy } from "../support/tcp-proxy.js";
import { startTestApp } from "../support/test-app.js";

const oneMug = () => createOrderRequest({ items: [{ productId: "prod-mug", quantity: 1 }] });
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

/** Product and Inventory test servers, each behind a TCP proxy that can reset connections. */
async function setUp(env: Record<string, string>) {
  const products = await startProductTestServer();
  const inventory = await startInventoryTestServer({ "prod-mug": 100 });
  const productProxy = await startTcpProxy(products.url);
  const inventoryProxy = await startTcpProxy(inventory.url);
  const app = await startTestApp({
    PRODUCT_SERVICE_URL: productProxy.url,
    INVENTORY_SERVICE_URL: inventoryProxy.url,
    PRODUCT_CACHE_TTL_MS: "0",
    RESERVATION_SWEEP_MS: "200",
    ...env,
  });
  cleanup.push(products.stop, inventory.stop, productProxy.stop, inventoryProxy.stop, app.stop);
  return { app, products, inventory, productProxy, inventoryProxy, orders: app.connect(OrderService) };
}

/** Waits until nothing is reserved at the test inventory and nothing is pending in the service. */
async function expectNothingReserved(setup: Awaited<ReturnType<typeof setUp>>) {
  for (
    let i = 0;
    setup.inventory.held.size > 0 || (await query(setup.app.databaseUrl, `select 1 from pending_reservations`)).length > 0;
    i++
  ) {
    if (i > 100) throw new Error(`still reserved: ${[...setup.inventory.held.keys()].join(", ")}`);
    await sleep(100);
  }
  expect(setup.inventory.stock["prod-mug"]).toBe(100);
}

describe("slow, resetting and failing Product and Inventory services", () => {
  it("when Inventory answers after the deadline but reserves anyway, then CreateOrder answers within its deadline and the stock comes back", async () => {
    const setup = await setUp({ DEPENDENCY_RETRIES: "0", DEPENDENCY_TIMEOUT_MS: "300" });
    setup.inventory.script.queue.push({ kind: "late", ms: 800 });
    const started = Date.now();
    const error = await failure(setup.orders.createOrder(oneMug(), { timeoutMs: 1_500 }));
    expect([Code.Unavailable, Code.DeadlineExceeded]).toContain(error.code);
    expect(Date.now() - started).toBeLessThan(1_500);
    await sleep(1_000); // the late reserve lands, after the service gave up on it
    await expectNothingReserved(setup);
    expect(await query(setup.app.databaseUrl, `select 1 from orders`)).toEqual([]);
  });

  it("when Inventory's connections are reset, then UNAVAILABLE within the deadline, the circuit opens, recovers once they stop, and no stock stays reserved", async () => {
    const setup = await setUp({ DEPENDENCY_RETRIES: "1", BREAKER_THRESHOLD: "3", BREAKER_HALF_OPEN_MS: "3000" });
    await setup.orders.createOrder(oneMug());
    setup.inventoryProxy.setMode("reset");
    const codes: Code[] = [];
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      const error = await failure(setup.orders.createOrder(oneMug(), { timeoutMs: 3_000 }));
      codes.push(error.code);
      expect(Date.now() - started).toBeLessThan(3_000);
    }
    expect(codes.every((code) => code === Code.Unavailable)).toBe(true);
    const fast = await failure(setup.orders.createOrder(oneMug()));
    expect(fast.rawMessage).toContain("circuit open");

    setup.inventoryProxy.setMode("pass");
    await sleep(3_100);
    await setup.orders.createOrder(oneMug());
    // Two orders hold one mug each; nothing else is held.
    for (let i = 0; (await query(setup.app.databaseUrl, `select 1 from pending_reservations`)).length > 0; i++) {
      if (i > 100) throw new Error("pending reservations never settled");
      await sleep(100);
    }
    expect(setup.inventory.held.size).toBe(2);
    expect(setup.inventory.stock["prod-mug"]).toBe(98);
  });

  it("when Product's connections are reset, then UNAVAILABLE within the deadline and nothing is reserved", async () => {
    const setup = await setUp({ DEPENDENCY_RETRIES: "2" });
    setup.productProxy.setMode("reset");
    const started = Date.now();
    const error = await failure(setup.orders.createOrder(oneMug(), { timeoutMs: 2_000 }));
    expect(error.code).toBe(Code.Unavailable);
    expect(Date.now() - started).toBeLessThan(2_000);
    await expectNothingReserved(setup);
  });

  it("when Inventory is down, then UNAVAILABLE, and the reservation it may hold is released once it is back", async () => {
    const setup = await setUp({ DEPENDENCY_RETRIES: "0", BREAKER_THRESHOLD: "100" });
    setup.inventoryProxy.setMode("reset");
    const error = await failure(setup.orders.createOrder(oneMug()));
    expect(error.code).toBe(Code.Unavailable);
    const [pending] = await query<{ n: number }>(setup.app.databaseUrl, `select count(*)::int as n from pending_reservations`);
    expect(pending!.n).toBe(1);
    setup.inventoryProxy.setMode("pass");
    await expectNothingReserved(setup);
  });
});

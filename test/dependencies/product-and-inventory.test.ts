import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { InsufficientStockSchema } from "../../gen/shop/order/v1/order_errors_pb.js";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { createOrderRequest } from "../support/fixtures.js";
import { query } from "../support/db.js";
import type { TestApp } from "../support/test-app.js";
import { startAppWithTestCatalog } from "../support/test-catalog-app.js";
import { failure } from "../support/errors.js";

const oneMug = () => createOrderRequest({ items: [{ productId: "prod-mug", quantity: 1 }] });

async function countRows(app: TestApp, table: string): Promise<number> {
  const [row] = await query<{ n: number }>(app.databaseUrl, `select count(*)::int as n from ${table}`);
  return row!.n;
}

const running: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of running.splice(0)) await stop();
});

/** Stopped after each test, even a failed one. */
async function withTestCatalog(env: Record<string, string>) {
  const setup = await startAppWithTestCatalog(env);
  running.push(setup.stop);
  return { ...setup, orders: setup.app.connect(OrderService) };
}

describe("Product and Inventory over real gRPC: retries, circuit breaker, cache, failures", () => {
  const setUp = (env: Record<string, string> = {}) => withTestCatalog({ PRODUCT_CACHE_TTL_MS: "0", ...env });

  it("when the product service fails twice with UNAVAILABLE, then the third attempt places the order", async () => {
    const { products, orders } = await setUp({ DEPENDENCY_RETRIES: "2" });
    products.script.queue.push({ kind: "fail", code: Code.Unavailable }, { kind: "fail", code: Code.Unavailable });
    const created = await orders.createOrder(oneMug());
    expect(created.order?.items).toHaveLength(1);
    expect(products.script.calls).toBe(3);
  });

  it("when the product service rejects the call itself, then it is not retried and the caller gets UNAVAILABLE", async () => {
    const { products, orders } = await setUp({ DEPENDENCY_RETRIES: "2" });
    products.script.behaviour = { kind: "fail", code: Code.InvalidArgument };
    const error = await failure(orders.createOrder(oneMug()));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.findDetails(ErrorInfoSchema)[0]?.metadata).toMatchObject({ dependency: "product service" });
    expect(products.script.calls).toBe(1);
  });

  it("when the product service keeps failing, then the circuit opens, calls fail fast, and a trial call closes it", async () => {
    const { products, orders } = await setUp({ DEPENDENCY_RETRIES: "0", BREAKER_THRESHOLD: "3", BREAKER_HALF_OPEN_MS: "300" });
    products.script.behaviour = { kind: "fail", code: Code.Unavailable };
    for (let i = 0; i < 3; i++) expect((await failure(orders.createOrder(oneMug()))).code).toBe(Code.Unavailable);

    const fast = await failure(orders.createOrder(oneMug()));
    expect(fast.code).toBe(Code.Unavailable);
    expect(fast.rawMessage).toContain("circuit open");
    expect(fast.findDetails(RetryInfoSchema)[0]?.retryDelay?.nanos).toBe(300_000_000);
    expect(products.script.calls).toBe(3);

    products.script.behaviour = { kind: "ok" };
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await orders.createOrder(oneMug())).order?.status).toBeDefined();
    expect(products.script.calls).toBe(4);
  });

  it("when products were looked up moments ago, then the cache answers and the product service is asked once", async () => {
    const { products, orders } = await setUp({ PRODUCT_CACHE_TTL_MS: "60000" });
    await orders.createOrder(oneMug());
    await orders.createOrder(oneMug());
    expect(products.script.calls).toBe(1);
  });

  it("when inventory is down while reserving, then UNAVAILABLE and nothing is written", async () => {
    const { app, inventory, orders } = await setUp({ DEPENDENCY_RETRIES: "1" });
    inventory.script.behaviour = { kind: "fail", code: Code.Unavailable };
    const error = await failure(orders.createOrder(oneMug()));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.findDetails(ErrorInfoSchema)[0]?.metadata).toMatchObject({ dependency: "inventory service" });
    // Two reserve attempts; then, as a reserve that failed may still have happened, two release attempts.
    expect(inventory.script.calls).toBe(4);
    expect(await countRows(app, "orders")).toBe(0);
    expect(await countRows(app, "idempotency_records")).toBe(0);
    // The release failed too: the reservation stays pending for the sweeper.
    expect(await countRows(app, "pending_reservations")).toBe(1);
  });

  it("when the order's reservation is fenced while Inventory answers (its lease passed and the sweeper took it), then ABORTED RESERVATION_LAPSED and nothing is written", async () => {
    const { app, inventory, orders } = await setUp({});
    inventory.script.behaviour = { kind: "delay", ms: 600 };
    const placing = failure(orders.createOrder(oneMug()));
    // What the sweeper does to a pending reservation whose lease passed, before it releases it.
    for (let i = 0; (await countRows(app, "pending_reservations")) === 0; i++) {
      if (i > 100) throw new Error("the reservation was never recorded as pending");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await query(app.databaseUrl, `update pending_reservations set abandoned = true`);
    const error = await placing;
    expect(error.code).toBe(Code.Aborted);
    expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("RESERVATION_LAPSED");
    for (const table of ["orders", "order_items", "fulfillment_orders", "outbox_events", "event_sequences", "idempotency_records"])
      expect(await countRows(app, table), table).toBe(0);
  });

  it("when inventory answers slower than the per-call budget, then UNAVAILABLE (timed out) and no order", async () => {
    const { app, inventory, orders } = await setUp({ DEPENDENCY_RETRIES: "0", DEPENDENCY_TIMEOUT_MS: "200" });
    inventory.script.behaviour = { kind: "delay", ms: 2_000 };
    const error = await failure(orders.createOrder(oneMug()));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toContain("timed out");
    expect(await countRows(app, "orders")).toBe(0);
  });

  // grpc-js is the default client; connect-node's is kept to measure against (DEPENDENCY_CLIENT).
  it.each(["grpc-js", "connect-node"])(
    "when inventory is short, then FAILED_PRECONDITION lists each shortage with requested and available (%s client)",
    async (client) => {
      const { inventory, orders } = await setUp({ DEPENDENCY_CLIENT: client });
      inventory.stock["prod-mug"] = 1;
      inventory.stock["prod-tee"] = 0;
      const error = await failure(
        orders.createOrder(
          createOrderRequest({
            items: [
              { productId: "prod-mug", quantity: 3 },
              { productId: "prod-tee", quantity: 2 },
            ],
          }),
        ),
      );
      expect(error.code).toBe(Code.FailedPrecondition);
      expect(error.findDetails(InsufficientStockSchema)[0]?.shortages).toEqual([
        expect.objectContaining({ productId: "prod-mug", requested: 3, available: 1 }),
        expect.objectContaining({ productId: "prod-tee", requested: 2, available: 0 }),
      ]);
    },
  );

  it("when saving the order fails after stock was reserved, then the reservation is released", async () => {
    const { app, inventory, orders } = await setUp();
    await query(app.databaseUrl, `alter table orders add constraint test_refuse check (notes <> 'refuse me')`);
    const error = await failure(
      orders.createOrder(createOrderRequest({ items: [{ productId: "prod-mug", quantity: 5 }], notes: "refuse me" })),
    );
    expect(error.code).toBe(Code.Internal);
    expect(inventory.held.size).toBe(0);
    expect(inventory.stock["prod-mug"]).toBe(100);
  });
});

describe("changes that call Inventory: nothing half-written when it fails", () => {
  it("when inventory cannot release during a cancel, then UNAVAILABLE and the order is still open", async () => {
    const { inventory, orders } = await withTestCatalog({ DEPENDENCY_RETRIES: "0" });
    const order = (await orders.createOrder(oneMug())).order!;
    inventory.script.behaviour = { kind: "fail", code: Code.Unavailable };
    const error = await failure(orders.cancelOrder({ requestId: "cancel-1", orderId: order.id, reason: "test" }));
    expect(error.code).toBe(Code.Unavailable);
    expect((await orders.getOrder({ orderId: order.id })).order).toEqual(order);

    inventory.script.behaviour = { kind: "ok" };
    const retried = await orders.cancelOrder({ requestId: "cancel-1", orderId: order.id, reason: "test" });
    expect(retried.order?.cancelReason).toBe("test");
    expect(inventory.held.size).toBe(0);
  });

  it("when inventory refuses an item edit, then the order keeps its lines and totals", async () => {
    const { inventory, orders } = await withTestCatalog({ DEPENDENCY_RETRIES: "0" });
    const order = (await orders.createOrder(oneMug())).order!;
    inventory.script.queue.push({ kind: "delay", ms: 5_000 });
    const error = await failure(
      orders.updateOrderItemQuantity(
        { requestId: "qty-1", orderId: order.id, itemId: order.items[0]!.id, quantity: 3 },
        { timeoutMs: 300 },
      ),
    );
    expect(error.code).toBe(Code.DeadlineExceeded);
    // The client gave up at its deadline; the server finishes its rollback and undo just after.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await orders.getOrder({ orderId: order.id })).order).toEqual(order);
    expect(inventory.held.get(order.id)).toEqual([expect.objectContaining({ productId: "prod-mug", quantity: 1 })]);
  });
});

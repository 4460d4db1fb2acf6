import { randomUUID } from "node:crypto";
import type { Client } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CartService } from "../../gen/shop/cart/v1/cart_pb.js";
import { FulfillmentService } from "../../gen/shop/order/v1/fulfillment_pb.js";
import { OrderService, OrderStatus } from "../../gen/shop/order/v1/order_pb.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startAppWithTestCatalog } from "../support/test-catalog-app.js";

/**
 * Every statement is a round trip to PostgreSQL and a socket write the service pays for, so the
 * hot RPCs have a statement budget (issue 8: at most 8 per CreateOrder). Counted at the pg driver,
 * on the test app's own database only; Product and Inventory are test servers without SQL.
 */
describe("SQL statements per call", () => {
  let env: Awaited<ReturnType<typeof startAppWithTestCatalog>>;
  let orders: Client<typeof OrderService>;
  let carts: Client<typeof CartService>;
  let fulfilment: Client<typeof FulfillmentService>;
  const seen: string[] = [];
  const original = pg.Client.prototype.query;

  beforeAll(async () => {
    // No Kafka: the relay's own polling would land in the count.
    env = await startAppWithTestCatalog({ KAFKA_BROKERS: "" });
    orders = env.app.connect(OrderService);
    carts = env.app.connect(CartService);
    fulfilment = env.app.connect(FulfillmentService);
    const database = new URL(env.app.databaseUrl).pathname.slice(1);
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const text = typeof args[0] === "string" ? args[0] : (args[0] as { text?: string } | undefined)?.text;
      if (this.database === database && text && text !== "select 1") seen.push(text.replace(/\s+/g, " ").slice(0, 120));
      return (original as (...args: unknown[]) => unknown).apply(this, args);
    } as typeof pg.Client.prototype.query;
  });
  afterAll(async () => {
    pg.Client.prototype.query = original;
    await env?.stop();
  });

  /** Statements of a cold call (the first of its kind: caches empty) and of a warm one (the same call again, new ids). */
  async function statementsOf(call: () => Promise<unknown>): Promise<{ cold: string[]; warm: string[] }> {
    seen.length = 0;
    await call();
    const cold = [...seen];
    seen.length = 0;
    await call();
    return { cold, warm: [...seen] };
  }

  it("CreateOrder commits within its budget of 5 statements, cold and warm (claim, pending reservation with the order number, begin, the rows with the fulfilment orders, events, the reservation taken over and the response, commit)", async () => {
    const { cold, warm } = await statementsOf(() => orders.createOrder(createOrderRequest()));
    expect(cold.length, cold.join("\n")).toBeLessThanOrEqual(5);
    expect(warm.length, warm.join("\n")).toBeLessThanOrEqual(5);
    // The fulfilment orders made at placement ride in the order's one insert statement.
    expect(warm.filter((text) => text.includes("fulfillment_orders"))).toHaveLength(0);
    expect(warm.some((text) => text.startsWith("with taken as (delete from pending_reservations"))).toBe(true);
  });

  it("CreateShipment writes within its budget of 11 statements (claim, which order, the stock journal, begin, the lock, the order, its fulfilment, the save with the parcel and events, the journal settled, the response, commit)", async () => {
    const ship = async () => {
      const { order } = await orders.createOrder(createOrderRequest({ paymentMethod: { method: { case: "cashOnDelivery", value: {} } } }));
      await orders.updateOrderStatus({ requestId: randomUUID(), orderId: order!.id, status: OrderStatus.CONFIRMED });
      const [fo] = (await fulfilment.listFulfillmentOrders({ orderId: order!.id })).fulfillmentOrders;
      return () => fulfilment.createShipment({ requestId: randomUUID(), fulfillmentOrderId: fo!.id, trackingNumber: "1Z" });
    };
    const first = await ship();
    const second = await ship();
    seen.length = 0;
    await first();
    const cold = [...seen];
    seen.length = 0;
    await second();
    const warm = [...seen];
    expect(cold.length, cold.join("\n")).toBeLessThanOrEqual(11);
    expect(warm.length, warm.join("\n")).toBeLessThanOrEqual(11);
  });

  it("GetOrder and ListOrders read in one statement each, items included", async () => {
    const { order } = await orders.createOrder(createOrderRequest());
    for (const { cold, warm } of [
      await statementsOf(() => orders.getOrder({ orderId: order!.id })),
      await statementsOf(() => orders.listOrders({ userId: "user-1", pageSize: 20 })),
    ]) {
      expect(cold, cold.join("\n")).toHaveLength(1);
      expect(warm, warm.join("\n")).toHaveLength(1);
    }
  });

  it("a change of an order (UpdateOrder) writes within its budget of 7 statements (claim, begin, the lock, the order, the change with its history and event, the response, commit)", async () => {
    const { order } = await orders.createOrder(createOrderRequest());
    let n = 0;
    const { cold, warm } = await statementsOf(() =>
      orders.updateOrder({ requestId: `notes-${++n}`, orderId: order!.id, notes: `ring ${n}` }),
    );
    console.log(`UpdateOrder statements: cold ${cold.length}, warm ${warm.length}\n${warm.join("\n")}`);
    expect(cold.length, cold.join("\n")).toBeLessThanOrEqual(7);
    expect(warm.length, warm.join("\n")).toBeLessThanOrEqual(7);
  });

  it("Cart AddItem writes within its budget of 9 statements, cold and warm (claim, begin, the cart row, its lock, its lines, the line, the version, the response, commit)", async () => {
    const { cold, warm } = await statementsOf(() =>
      carts.addItem({ requestId: randomUUID(), userId: "user-2", productId: "prod-mug", quantity: 1 }),
    );
    expect(cold.length, cold.join("\n")).toBeLessThanOrEqual(9);
    expect(warm.length, warm.join("\n")).toBeLessThanOrEqual(9);
  });

  it("Cart Checkout commits within its budget of 11 statements (claim, the cart, its lines, the pending reservation with the order number, begin, taking the reservation, the rows, the cart version, its lines emptied, the response, commit)", async () => {
    const fill = (userId: string) =>
      carts
        .addItem({ requestId: randomUUID(), userId, productId: "prod-mug", quantity: 1 })
        .then(() => carts.addItem({ requestId: randomUUID(), userId, productId: "prod-tee", quantity: 1 }));
    const checkout = (userId: string) => () =>
      carts.checkout({
        requestId: randomUUID(),
        userId,
        customer: { email: "ann@example.com", firstName: "Ann", lastName: "Lee" },
        shippingAddress: { line1: "1 Main St", city: "Springfield", postalCode: "62701", countryCode: "US" },
        paymentMethod: { method: { case: "cashOnDelivery", value: {} } },
      });
    await fill("user-3");
    seen.length = 0;
    await checkout("user-3")();
    const cold = [...seen];
    await fill("user-4");
    seen.length = 0;
    await checkout("user-4")();
    const warm = [...seen];
    expect(cold.length, cold.join("\n")).toBeLessThanOrEqual(11);
    expect(warm.length, warm.join("\n")).toBeLessThanOrEqual(11);
  });
});

import type { Client } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CartService } from "../gen/shop/cart/v1/cart_pb.js";
import { OrderService } from "../gen/shop/order/v1/order_pb.js";
import { createOrderRequest } from "./support/fixtures.js";
import { startAppWithTestCatalog } from "./support/test-catalog-app.js";

/**
 * Every statement is a round trip to PostgreSQL and a socket write the service pays for, so the
 * hot RPCs have a statement budget (issue 8: at most 8 per CreateOrder). Counted at the pg driver,
 * on the test app's own database only; Product and Inventory are test servers without SQL.
 */
describe("SQL statements per call", () => {
  let env: Awaited<ReturnType<typeof startAppWithTestCatalog>>;
  let orders: Client<typeof OrderService>;
  let carts: Client<typeof CartService>;
  const seen: string[] = [];
  const original = pg.Client.prototype.query;

  beforeAll(async () => {
    // No Kafka: the relay's own polling would land in the count.
    env = await startAppWithTestCatalog({ KAFKA_BROKERS: "" });
    orders = env.app.connect(OrderService);
    carts = env.app.connect(CartService);
    const database = new URL(env.app.databaseUrl).pathname.slice(1);
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const text = typeof args[0] === "string" ? args[0] : (args[0] as { text?: string } | undefined)?.text;
      if (this.database === database && text && text !== "select 1") seen.push(text.replace(/\s+/g, " ").slice(0, 120));
      return (original as Function).apply(this, args);
    } as typeof pg.Client.prototype.query;
  });
  afterAll(async () => {
    pg.Client.prototype.query = original;
    await env?.stop();
  });

  async function statementsOf(call: () => Promise<unknown>): Promise<string[]> {
    await call(); // the first call of a kind also warms caches; count the second
    seen.length = 0;
    await call();
    return [...seen];
  }

  it("CreateOrder commits in at most 8 statements (claim, pending reservation with the order number, begin, taking the reservation, the rows, the response, commit)", async () => {
    const statements = await statementsOf(() => orders.createOrder(createOrderRequest()));
    expect(statements.length, statements.join("\n")).toBeLessThanOrEqual(8);
    expect(statements.length, statements.join("\n")).toBe(7);
  });

  it("GetOrder and ListOrders read in one statement each, items included", async () => {
    const { order } = await orders.createOrder(createOrderRequest());
    expect(await statementsOf(() => orders.getOrder({ orderId: order!.id }))).toHaveLength(1);
    expect(await statementsOf(() => orders.listOrders({ userId: "user-1", pageSize: 20 }))).toHaveLength(1);
  });

  it("Cart AddItem writes in at most 7 statements", async () => {
    const statements = await statementsOf(() => carts.addItem({ userId: "user-1", productId: "prod-mug", quantity: 1 }));
    expect(statements.length, statements.join("\n")).toBeLessThanOrEqual(7);
  });
});

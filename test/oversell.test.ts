import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderService } from "../gen/shop/order/v1/order_pb.js";
import { createOrderRequest } from "./support/fixtures.js";
import { startTestApp, type TestApp } from "./support/test-app.js";

describe("no oversell", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  it("when 100 buyers order the last 10 posters at once, then exactly 10 orders exist and stock is 0", async () => {
    const client = app.connect(OrderService);
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        client.createOrder(createOrderRequest({ userId: `buyer-${i}`, items: [{ productId: "prod-poster", quantity: 1 }] }), { timeoutMs: 30_000 }),
      ),
    );
    const rejected = results.filter((r) => r.status === "rejected").map((r) => ConnectError.from((r as PromiseRejectedResult).reason));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(10);
    expect(new Set(rejected.map((e) => Code[e.code]))).toEqual(new Set(["FailedPrecondition"]));

    const db = new pg.Client({ connectionString: app.databaseUrl });
    await db.connect();
    const stock = await db.query(`select available, reserved from catalog_products where id = 'prod-poster'`);
    const orders = await db.query(`select count(*)::int as n from order_items where product_id = 'prod-poster'`);
    await db.end();
    expect(stock.rows[0]).toEqual({ available: 0, reserved: 10 });
    expect(orders.rows[0].n).toBe(10);
  });
});

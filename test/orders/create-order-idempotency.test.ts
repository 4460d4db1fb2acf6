import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InsufficientStockSchema } from "../../gen/shop/order/v1/order_errors_pb.js";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

describe("CreateOrder idempotency by request id", () => {
  let app: TestApp;
  let db: pg.Client;
  const count = async (sql: string, params: unknown[]) => Number((await db.query(sql, params)).rows[0].n);

  beforeAll(async () => {
    app = await startTestApp({ DB_POOL_MAX: "10" });
    db = new pg.Client({ connectionString: app.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  it("when the same request is sent twice, then the second gets the first response and no second order", async () => {
    const request = createOrderRequest({ userId: "user-retry" });
    const first = await app.connect(OrderService).createOrder(request);
    const second = await app.connect(OrderService).createOrder(request);
    expect(second).toEqual(first);
    expect(await count(`select count(*) as n from orders where user_id = $1`, ["user-retry"])).toBe(1);
  });

  it("when a request id is reused for a different request, then ALREADY_EXISTS", async () => {
    const request = createOrderRequest({ userId: "user-reuse" });
    await app.connect(OrderService).createOrder(request);
    const error = await app
      .connect(OrderService)
      .createOrder({ ...request, notes: "something else" })
      .catch((e) => ConnectError.from(e));
    expect((error as ConnectError).code).toBe(Code.AlreadyExists);
  });

  it("when 50 duplicates arrive at once, then exactly one order exists and stock is reserved once", async () => {
    const before = await count(`select available as n from catalog_products where id = 'prod-lamp'`, []);
    const request = createOrderRequest({ userId: "user-burst", items: [{ productId: "prod-lamp", quantity: 2 }] });
    const client = app.connect(OrderService);
    const responses = await Promise.all(Array.from({ length: 50 }, () => client.createOrder(request, { timeoutMs: 20_000 })));
    expect(new Set(responses.map((r) => r.order!.id)).size).toBe(1);
    expect(await count(`select count(*) as n from orders where user_id = $1`, ["user-burst"])).toBe(1);
    expect(await count(`select available as n from catalog_products where id = 'prod-lamp'`, [])).toBe(before - 2);
  });

  it("when the first attempt fails, then the same request id can be used again", async () => {
    const short = createOrderRequest({ userId: "user-fix", items: [{ productId: "prod-poster", quantity: 11 }] });
    const error = await app
      .connect(OrderService)
      .createOrder(short)
      .catch((e) => ConnectError.from(e));
    expect((error as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((error as ConnectError).findDetails(InsufficientStockSchema)[0]?.shortages).toEqual([
      expect.objectContaining({ productId: "prod-poster", requested: 11, available: 10 }),
    ]);
    const fixed = await app.connect(OrderService).createOrder({ ...short, items: [{ productId: "prod-poster", quantity: 1 }] });
    expect(fixed.order?.items[0]?.quantity).toBe(1);
  });
});

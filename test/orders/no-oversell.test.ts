import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { query, setStock } from "../support/db.js";
import { reasonOf } from "../support/errors.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startReferenceCatalog } from "../support/service-process.js";
import { freshDatabase, startTestApp, type TestApp } from "../support/test-app.js";

type Wiring = () => Promise<{ app: TestApp; stop: () => Promise<unknown> }>;

const wirings: [string, Wiring][] = [
  [
    "the built-in reference inventory",
    async () => {
      const app = await startTestApp();
      return { app, stop: () => app.stop() };
    },
  ],
  [
    "the reference inventory in its own process, over gRPC",
    async () => {
      const databaseUrl = await freshDatabase();
      const catalog = await startReferenceCatalog(databaseUrl);
      const app = await startTestApp({ PRODUCT_SERVICE_URL: catalog.url, INVENTORY_SERVICE_URL: catalog.url }, { databaseUrl });
      return { app, stop: async () => (await app.stop(), await catalog.stop()) };
    },
  ],
];

describe.each(wirings)("no oversell, with %s", (_, wire) => {
  let app: TestApp;
  let stop: () => Promise<unknown>;
  beforeAll(async () => {
    ({ app, stop } = await wire());
    await setStock(app.databaseUrl, 10, { productId: "prod-poster" });
  }, 120_000);
  afterAll(() => stop?.());

  it("when 100 buyers order the last 10 posters at once, then exactly 10 orders exist, the other 90 are told INSUFFICIENT_STOCK, and stock is 0", async () => {
    const client = app.connect(OrderService);
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        client.createOrder(createOrderRequest({ userId: `buyer-${i}`, items: [{ productId: "prod-poster", quantity: 1 }] }), {
          timeoutMs: 30_000,
        }),
      ),
    );
    const rejected = results.filter((r) => r.status === "rejected").map((r) => ConnectError.from(r.reason));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(10);
    expect(new Set(rejected.map((e) => `${Code[e.code]} ${reasonOf(e)}`))).toEqual(new Set(["FailedPrecondition INSUFFICIENT_STOCK"]));

    const [stock] = await query(app.databaseUrl, `select available, reserved from catalog_products where id = 'prod-poster'`);
    const [orders] = await query<{ n: number }>(
      app.databaseUrl,
      `select count(*)::int as n from order_items where product_id = 'prod-poster'`,
    );
    expect(stock).toEqual({ available: 0, reserved: 10 });
    expect(orders!.n).toBe(10);
  });
});

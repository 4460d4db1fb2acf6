import { randomUUID } from "node:crypto";
import { Code, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { CartAdjustments_Reason, CartAdjustmentsSchema, CartService } from "../../gen/shop/cart/v1/cart_pb.js";
import { checkoutRequest } from "../support/cart-fixtures.js";
import { query, setStock } from "../support/db.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { failure } from "../support/errors.js";
import { startAppWithTestCatalog } from "../support/test-catalog-app.js";

// With cart holds off (CART_RESERVATION_MINUTES=0) stock is checked only here; with them on, see cart-holds.test.ts.
describe("Checkout when the catalog or stock moved since the cart was filled", () => {
  let app: TestApp;
  let carts: Client<typeof CartService>;
  beforeAll(async () => {
    app = await startTestApp({ PRODUCT_CACHE_TTL_MS: "0", CART_RESERVATION_MINUTES: "0" });
    carts = app.connect(CartService);
  });
  afterAll(() => app?.stop());

  it("when lines are short, gone, off sale or repriced, then ABORTED lists every fix, the cart is fixed, and no order exists", async () => {
    const userId = "fixes-user";
    for (const [productId, quantity] of [
      ["prod-poster", 5],
      ["prod-lamp", 1],
      ["prod-cap", 1],
      ["prod-bottle", 2],
      ["prod-mug", 1],
    ] as const) {
      await carts.addItem({ requestId: randomUUID(), userId, productId, quantity });
    }
    await setStock(app.databaseUrl, 2, { productId: "prod-poster" });
    await query(app.databaseUrl, `update catalog_products set price_minor = 4999 where id = 'prod-lamp'`);
    await query(app.databaseUrl, `update catalog_products set active = false where id = 'prod-cap'`);
    await setStock(app.databaseUrl, 0, { productId: "prod-bottle" });

    const error = await failure(carts.checkout(checkoutRequest(userId, { expectedVersion: 5n })));
    expect(error.code).toBe(Code.Aborted);
    expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("CART_CHANGED");
    const details = error.findDetails(CartAdjustmentsSchema)[0]!;
    expect(details.cartVersion).toBe(6n);
    const byProduct = Object.fromEntries(details.adjustments.map((a) => [a.productId, a]));
    expect(byProduct["prod-poster"]).toMatchObject({
      reason: CartAdjustments_Reason.SHORT_OF_STOCK,
      oldQuantity: 5,
      newQuantity: 2,
      noLongerAvailable: false,
    });
    expect(byProduct["prod-lamp"]).toMatchObject({
      reason: CartAdjustments_Reason.REPRICED,
      oldUnitPrice: { amountMinor: 4599n },
      newUnitPrice: { amountMinor: 4999n },
    });
    expect(byProduct["prod-cap"]).toMatchObject({ reason: CartAdjustments_Reason.INACTIVE, newQuantity: 0, noLongerAvailable: true });
    expect(byProduct["prod-bottle"]).toMatchObject({ reason: CartAdjustments_Reason.OUT_OF_STOCK, newQuantity: 0 });
    expect(byProduct["prod-mug"]).toBeUndefined();
    expect(await query(app.databaseUrl, `select id from orders where user_id = $1`, [userId])).toEqual([]);

    const { cart } = await carts.getCart({ userId });
    expect(cart?.items.map((i) => [i.productId, i.quantity, i.unitPrice?.amountMinor])).toEqual([
      ["prod-poster", 2, 2999n],
      ["prod-lamp", 1, 4999n],
      ["prod-mug", 1, 1250n],
    ]);
    const { order } = await carts.checkout(checkoutRequest(userId, { expectedVersion: cart!.version }));
    expect(order?.items.map((i) => [i.productId, i.quantity])).toEqual([
      ["prod-poster", 2],
      ["prod-lamp", 1],
      ["prod-mug", 1],
    ]);
  });

  it("when the checkout carries a version the cart moved past, then ABORTED VERSION_MISMATCH", async () => {
    await carts.addItem({ requestId: randomUUID(), userId: "stale-user", productId: "prod-mug", quantity: 1 });
    const error = await failure(carts.checkout(checkoutRequest("stale-user", { expectedVersion: 7n })));
    expect([error.code, error.findDetails(ErrorInfoSchema)[0]?.reason]).toEqual([Code.Aborted, "VERSION_MISMATCH"]);
  });
});

describe("Checkout when Inventory is down", () => {
  it("when availability cannot be checked, then UNAVAILABLE, no order, and the cart is untouched", async () => {
    const { app, inventory, stop } = await startAppWithTestCatalog({ DEPENDENCY_RETRIES: "0" });
    try {
      const carts = app.connect(CartService);
      const { cart } = await carts.addItem({ requestId: randomUUID(), userId: "down-user", productId: "prod-mug", quantity: 2 });
      inventory.script.behaviour = { kind: "fail", code: Code.Unavailable };
      const error = await failure(carts.checkout(checkoutRequest("down-user")));
      expect(error.code).toBe(Code.Unavailable);
      expect((await carts.getCart({ userId: "down-user" })).cart).toEqual(cart);
      expect(await query(app.databaseUrl, `select id from orders`)).toEqual([]);
    } finally {
      await stop();
    }
  });
});

describe("abandoned carts", () => {
  it("when a cart is untouched past its TTL, then it reads as empty and the cleanup job deletes it", async () => {
    const app = await startTestApp({ CART_TTL_MS: "400", CART_CLEANUP_INTERVAL_MS: "200" });
    try {
      const carts = app.connect(CartService);
      await carts.addItem({ requestId: randomUUID(), userId: "idle-user", productId: "prod-mug", quantity: 1 });
      expect(await query(app.databaseUrl, `select user_id from carts`)).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 900));
      expect((await carts.getCart({ userId: "idle-user" })).cart?.items).toEqual([]);
      expect(await query(app.databaseUrl, `select user_id from carts`)).toEqual([]);
      expect(await query(app.databaseUrl, `select id from cart_items`)).toEqual([]);
    } finally {
      await app.stop();
    }
  });
});

import { randomUUID } from "node:crypto";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CartAdjustments_Reason, CartAdjustmentsSchema, CartService } from "../../gen/shop/cart/v1/cart_pb.js";
import { InsufficientStockSchema } from "../../gen/shop/order/v1/order_errors_pb.js";
import { checkoutRequest } from "../support/cart-fixtures.js";
import { query, setStock } from "../support/db.js";
import { failure, reasonOf } from "../support/errors.js";
import { FakeClock } from "../support/fake-clock.js";
import { startAppWithReferenceCatalogOverGrpc } from "../support/reference-catalog-server.js";
import { token } from "../support/tokens.js";

const MINUTE = 60_000;

const newUser = () => `holder-${randomUUID().slice(0, 8)}`;
const add = (carts: Client<typeof CartService>, userId: string, productId: string, quantity: number) =>
  carts.addItem({ requestId: randomUUID(), userId, productId, quantity });

/**
 * Carts hold their stock at Inventory (reached over real gRPC) for CART_RESERVATION_MINUTES after
 * their last change; a hold past its time is anyone's before any sweeper has run.
 */
describe("cart holds: stock reserved while in the cart, lapsing on its own", () => {
  const clock = new FakeClock();
  let stack: Awaited<ReturnType<typeof startAppWithReferenceCatalogOverGrpc>>;
  let carts: Client<typeof CartService>;
  let db: string;
  const stock = async (productId: string) =>
    (
      await query<{ available: number; reserved: number }>(db, `select available, reserved from catalog_products where id = $1`, [
        productId,
      ])
    )[0];

  beforeAll(async () => {
    // The sweeper would only tidy; an hour keeps it out of these tests, so what they see is the logical expiry.
    stack = await startAppWithReferenceCatalogOverGrpc({ CART_RESERVATION_MINUTES: "15", CART_HOLD_SWEEP_MS: "3600000" }, { clock });
    carts = stack.app.connect(CartService);
    db = stack.app.databaseUrl;
  });
  afterAll(() => stack?.stop());

  it("when 20 carts add the last unit at once, then exactly one holds it and the 19 others get INSUFFICIENT_STOCK naming the line", async () => {
    await setStock(db, 1, { productId: "prod-poster" });
    const users = Array.from({ length: 20 }, newUser);
    const results = await Promise.allSettled(users.map((userId) => add(carts, userId, "prod-poster", 1)));
    const refused = results.filter((r) => r.status === "rejected").map((r) => ConnectError.from(r.reason));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(refused).toHaveLength(19);
    for (const error of refused) {
      expect([error.code, reasonOf(error)]).toEqual([Code.FailedPrecondition, "INSUFFICIENT_STOCK"]);
      expect(error.findDetails(InsufficientStockSchema)[0]?.shortages).toEqual([
        expect.objectContaining({ productId: "prod-poster", requested: 1, available: 0 }),
      ]);
    }
    expect(await stock("prod-poster")).toEqual({ available: 0, reserved: 1 });
    const held = await Promise.all(users.map(async (userId) => (await carts.getCart({ userId })).cart!.itemCount));
    expect(held.sort()).toEqual([...Array(19).fill(0), 1]);
  });

  it("when a hold has lapsed and no sweeper ran, then another cart takes the unit and the lapsed cart's checkout reports it out of stock", async () => {
    await setStock(db, 1, { productId: "prod-lamp" });
    const [first, second] = [newUser(), newUser()];
    const added = (await add(carts, first, "prod-lamp", 1)).cart!;
    expect(timestampDate(added.holdExpireTime!).getTime() - clock.now().getTime()).toBeGreaterThan(14 * MINUTE);
    expect(reasonOf(await failure(add(carts, second, "prod-lamp", 1)))).toBe("INSUFFICIENT_STOCK");

    clock.offsetMs += 16 * MINUTE;
    const lapsed = (await carts.getCart({ userId: first })).cart!;
    expect([lapsed.itemCount, lapsed.holdExpireTime]).toEqual([1, undefined]);
    await add(carts, second, "prod-lamp", 1);
    expect(await stock("prod-lamp")).toEqual({ available: 0, reserved: 1 });

    const error = await failure(carts.checkout(checkoutRequest(first)));
    expect([error.code, reasonOf(error)]).toEqual([Code.Aborted, "CART_CHANGED"]);
    expect(error.findDetails(CartAdjustmentsSchema)[0]?.adjustments).toEqual([
      expect.objectContaining({ productId: "prod-lamp", reason: CartAdjustments_Reason.OUT_OF_STOCK, newQuantity: 0 }),
    ]);
    expect(await query(db, `select id from orders where user_id = $1`, [first])).toEqual([]);
    expect(await stock("prod-lamp")).toEqual({ available: 0, reserved: 1 });
  });

  it("when a lapsed cart's units are still free, then its checkout reserves them again and the order holds them once", async () => {
    await setStock(db, 5, { productId: "prod-cap" });
    const userId = newUser();
    await add(carts, userId, "prod-cap", 2);
    clock.offsetMs += 16 * MINUTE;
    const { order } = await carts.checkout(checkoutRequest(userId));
    expect(await stock("prod-cap")).toEqual({ available: 3, reserved: 2 });
    expect(await query(db, `select status, lines from catalog_reservations where id = $1`, [order!.id])).toEqual([
      { status: "HELD", lines: [{ productId: "prod-cap", variantId: "", quantity: 2 }] },
    ]);
  });

  it("when a held cart is checked out, then its hold becomes the order's reservation: the units are held once, by the order", async () => {
    await setStock(db, 10, { productId: "prod-bottle" });
    await setStock(db, 10, { productId: "prod-backpack" });
    const userId = newUser();
    await add(carts, userId, "prod-bottle", 2);
    const { cart } = await add(carts, userId, "prod-backpack", 1);
    const [hold] = await query<{ reservation_id: string }>(db, `select reservation_id from carts where user_id = $1`, [userId]);
    expect(cart!.holdExpireTime).toBeDefined();
    expect([await stock("prod-bottle"), await stock("prod-backpack")]).toEqual([
      { available: 8, reserved: 2 },
      { available: 9, reserved: 1 },
    ]);

    const { order } = await carts.checkout(checkoutRequest(userId));
    expect([await stock("prod-bottle"), await stock("prod-backpack")]).toEqual([
      { available: 8, reserved: 2 },
      { available: 9, reserved: 1 },
    ]);
    const reservations = await query<{ id: string; status: string; allocations: { held: number }[] }>(
      db,
      `select id, status, allocations from catalog_reservations where id = any($1::text[]) order by status`,
      [[order!.id, hold!.reservation_id]],
    );
    expect(reservations.map((r) => [r.id, r.status, r.allocations.reduce((sum, a) => sum + a.held, 0)])).toEqual([
      [order!.id, "HELD", 3],
      [hold!.reservation_id, "RELEASED", 0],
    ]);
    expect(await query(db, `select reservation_id, holds_until from carts where user_id = $1`, [userId])).toEqual([
      { reservation_id: "", holds_until: null },
    ]);
  });

  it("when lines are lowered or removed, then the stock goes back at once, and every change pushes the hold's expiry out", async () => {
    await setStock(db, 10, { productId: "prod-notebook" });
    const userId = newUser();
    const first = (await add(carts, userId, "prod-notebook", 5)).cart!;
    expect(await stock("prod-notebook")).toEqual({ available: 5, reserved: 5 });
    clock.offsetMs += 5 * MINUTE;
    const lowered = (await carts.updateItemQuantity({ requestId: randomUUID(), userId, productId: "prod-notebook", quantity: 2 })).cart!;
    expect(await stock("prod-notebook")).toEqual({ available: 8, reserved: 2 });
    expect(timestampDate(lowered.holdExpireTime!).getTime() - timestampDate(first.holdExpireTime!).getTime()).toBeGreaterThanOrEqual(
      5 * MINUTE,
    );
    const removed = (await carts.removeItem({ requestId: randomUUID(), userId, productId: "prod-notebook" })).cart!;
    expect(removed.holdExpireTime).toBeUndefined();
    expect(await stock("prod-notebook")).toEqual({ available: 10, reserved: 0 });
  });

  it("when a lapsed cart is lowered but what is left was taken, then the change succeeds and the cart holds nothing until checkout", async () => {
    await setStock(db, 3, { productId: "prod-socks" });
    const [first, second] = [newUser(), newUser()];
    await add(carts, first, "prod-socks", 3);
    clock.offsetMs += 16 * MINUTE;
    await add(carts, second, "prod-socks", 2);
    const lowered = (await carts.updateItemQuantity({ requestId: randomUUID(), userId: first, productId: "prod-socks", quantity: 2 }))
      .cart!;
    expect([lowered.itemCount, lowered.holdExpireTime]).toEqual([2, undefined]);
    expect(await stock("prod-socks")).toEqual({ available: 1, reserved: 2 });
    expect(reasonOf(await failure(add(carts, first, "prod-socks", 1)))).toBe("INSUFFICIENT_STOCK");
  });
});

describe("staff and carts' holds", () => {
  it("when staff list carts and release one's hold, then it shows its hold, and after release Inventory has the units back and the lines stay", async () => {
    const stack = await startAppWithReferenceCatalogOverGrpc({ CART_RESERVATION_MINUTES: "15" });
    try {
      const db = stack.app.databaseUrl;
      const userId = newUser();
      const staff = stack.app.connect(CartService);
      await stack.app.connect(CartService, await token(userId)).addItem({ requestId: randomUUID(), productId: "prod-bottle", quantity: 3 });
      const { carts } = await staff.listCarts({ holdingOnly: true });
      const listed = carts.find((cart) => cart.userId === userId)!;
      expect(listed.holdExpireTime).toBeDefined();
      expect(listed.items.map((i) => [i.productId, i.quantity])).toEqual([["prod-bottle", 3]]);
      const [hold] = await query<{ reservation_id: string }>(db, `select reservation_id from carts where user_id = $1`, [userId]);

      const released = (await staff.releaseCartHolds({ requestId: randomUUID(), userId, reason: "stuck on a bad price" })).cart!;
      expect([released.itemCount, released.holdExpireTime]).toEqual([3, undefined]);
      expect(await query(db, `select status from catalog_reservations where id = $1`, [hold!.reservation_id])).toEqual([
        { status: "RELEASED" },
      ]);
      expect((await staff.listCarts({ holdingOnly: true })).carts.map((cart) => cart.userId)).not.toContain(userId);
      const customer = stack.app.connect(CartService, await token(userId));
      expect((await failure(customer.listCarts({}))).code).toBe(Code.PermissionDenied);
      expect((await failure(customer.releaseCartHolds({ requestId: randomUUID(), userId, reason: "x" }))).code).toBe(Code.PermissionDenied);
      expect((await failure(staff.releaseCartHolds({ requestId: randomUUID(), userId: "nobody-here", reason: "x" }))).code).toBe(
        Code.NotFound,
      );
    } finally {
      await stack.stop();
    }
  });
});

describe("the hold sweeper", () => {
  it("when a cart's hold lapses, then the sweeper releases it at Inventory and the cart stops pointing at it", async () => {
    const clock = new FakeClock();
    const stack = await startAppWithReferenceCatalogOverGrpc({ CART_RESERVATION_MINUTES: "15", CART_HOLD_SWEEP_MS: "100" }, { clock });
    try {
      const db = stack.app.databaseUrl;
      const userId = newUser();
      await stack.app.connect(CartService).addItem({ requestId: randomUUID(), userId, productId: "prod-mug", quantity: 4 });
      const [cart] = await query<{ reservation_id: string }>(db, `select reservation_id from carts where user_id = $1`, [userId]);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await query(db, `select status from catalog_reservations where id = $1`, [cart!.reservation_id])).toEqual([
        { status: "HELD" },
      ]);

      clock.offsetMs += 16 * MINUTE;
      await expect
        .poll(() => query(db, `select status from catalog_reservations where id = $1`, [cart!.reservation_id]), { timeout: 5_000 })
        .toEqual([{ status: "RELEASED" }]);
      expect(await query(db, `select reservation_id, holds_until from carts where user_id = $1`, [userId])).toEqual([
        { reservation_id: "", holds_until: null },
      ]);
      expect((await stack.app.connect(CartService).getCart({ userId })).cart!.itemCount).toBe(4);
    } finally {
      await stack.stop();
    }
  });
});

import { randomUUID } from "node:crypto";
import type { Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CartAdjustments_Reason, CartService, CartStatus, MergeMode } from "../../gen/shop/cart/v1/cart_pb.js";
import { query, setStock } from "../support/db.js";
import { FakeClock } from "../support/fake-clock.js";
import { startAppWithReferenceCatalogOverGrpc } from "../support/reference-catalog-server.js";
import { token } from "../support/tokens.js";

const MINUTE = 60_000;
const A = "prod-mug";
const B = "prod-tee";

/** MergeCart: a guest cart moved into the signed-in cart by mode, its holds moved with it (Inventory over real gRPC). */
describe("merging a guest cart on sign-in", () => {
  const clock = new FakeClock();
  let stack: Awaited<ReturnType<typeof startAppWithReferenceCatalogOverGrpc>>;
  let db: string;
  const cartsAs = (bearer: string) => stack.app.connect(CartService, bearer);
  const add = (carts: Client<typeof CartService>, productId: string, quantity: number) =>
    carts.addItem({ requestId: randomUUID(), productId, quantity });
  const reserved = async (productId: string) =>
    (await query<{ reserved: number }>(db, `select reserved from catalog_products where id = $1`, [productId]))[0]!.reserved;
  /** Units the reservation holds, per product. */
  const held = async (reservationId: string) =>
    Object.fromEntries(
      (
        await query<{ product_id: string; units: number }>(
          db,
          `select a->>'productId' as product_id, sum((a->>'held')::int)::int as units
           from catalog_reservations r, jsonb_array_elements(r.allocations) a where r.id = $1 group by 1 having sum((a->>'held')::int) > 0`,
          [reservationId],
        )
      ).map((row) => [row.product_id, row.units]),
    );
  const holdOf = async (key: string) =>
    (await query<{ reservation_id: string }>(db, `select reservation_id from carts where user_id = $1`, [key]))[0]!.reservation_id;

  /** A signed-in cart {A:3} and a guest cart {A:2, B:1}, both holding their stock. */
  async function twoCarts() {
    const userId = `merger-${randomUUID().slice(0, 8)}`;
    const mine = cartsAs(await token(userId));
    await add(mine, A, 3);
    const guest = await cartsAs("").createGuestCart({});
    await add(cartsAs(guest.cartToken), A, 2);
    await add(cartsAs(guest.cartToken), B, 1);
    return { userId, mine, guest, guestKey: `guest:${guest.cart!.cartId}`, guestHold: await holdOf(`guest:${guest.cart!.cartId}`) };
  }

  beforeAll(async () => {
    stack = await startAppWithReferenceCatalogOverGrpc({ CART_RESERVATION_MINUTES: "15", CART_HOLD_SWEEP_MS: "3600000" }, { clock });
    db = stack.app.databaseUrl;
  });
  afterAll(() => stack?.stop());

  it.each([
    [MergeMode.MERGE_MAX, { [A]: 3, [B]: 1 }],
    [MergeMode.UNSPECIFIED, { [A]: 3, [B]: 1 }],
    [MergeMode.SUM, { [A]: 5, [B]: 1 }],
    [MergeMode.REPLACE_WITH_GUEST, { [A]: 2, [B]: 1 }],
    [MergeMode.KEEP_EXISTING, { [A]: 3 }],
  ])(
    "when guest {A:2, B:1} merges into {A:3} with mode %s, then the cart is %j, holding exactly that, and the guest cart is closed",
    async (mode, expected) => {
      const before = { [A]: await reserved(A), [B]: await reserved(B) };
      const { userId, mine, guest, guestKey, guestHold } = await twoCarts();
      const { cart, adjustments } = await mine.mergeCart({ requestId: randomUUID(), guestCartToken: guest.cartToken, mode });
      expect(Object.fromEntries(cart!.items.map((i) => [i.productId, i.quantity]))).toEqual(expected);
      expect(adjustments).toEqual([]);
      expect(await held(await holdOf(userId))).toEqual(expected);
      expect(await held(guestHold)).toEqual({});
      expect({ [A]: (await reserved(A)) - before[A], [B]: (await reserved(B)) - before[B] }).toEqual({ [B]: 0, ...expected });

      const closed = (await cartsAs(guest.cartToken).getCart({})).cart!;
      expect(closed).toMatchObject({ status: CartStatus.MERGED, mergedInto: userId, items: [] });
      expect(await query(db, `select reservation_id from carts where user_id = $1`, [guestKey])).toEqual([{ reservation_id: "" }]);
      const refused = await cartsAs(guest.cartToken)
        .addItem({ requestId: randomUUID(), productId: A, quantity: 1 })
        .catch((error: Error) => error.message);
      expect(refused).toContain("merged");
    },
  );

  it("when the merge is retried, or two merges of one guest cart run at once, then it merges once", async () => {
    const { userId, mine, guest } = await twoCarts();
    const request = { requestId: randomUUID(), guestCartToken: guest.cartToken, mode: MergeMode.SUM };
    const first = await mine.mergeCart(request);
    expect(await mine.mergeCart(request)).toEqual(first);

    const before = { [A]: await reserved(A), [B]: await reserved(B) };
    const again = await twoCarts();
    const racing = await Promise.all(
      Array.from({ length: 4 }, () =>
        again.mine.mergeCart({ requestId: randomUUID(), guestCartToken: again.guest.cartToken, mode: MergeMode.SUM }),
      ),
    );
    for (const answer of racing)
      expect(Object.fromEntries(answer.cart!.items.map((i) => [i.productId, i.quantity]))).toEqual({ [A]: 5, [B]: 1 });
    expect(await held(await holdOf(again.userId))).toEqual({ [A]: 5, [B]: 1 });
    // Held once: no second hold left behind by a merge that lost the race.
    expect({ [A]: (await reserved(A)) - before[A], [B]: (await reserved(B)) - before[B] }).toEqual({ [A]: 5, [B]: 1 });
    expect(userId).not.toBe(again.userId);
  });

  it("when a guest cart merged into one user is merged by another, then FAILED_PRECONDITION, and a bad token is INVALID_ARGUMENT", async () => {
    const { guest, mine } = await twoCarts();
    await mine.mergeCart({ requestId: randomUUID(), guestCartToken: guest.cartToken });
    const other = cartsAs(await token(`other-${randomUUID().slice(0, 8)}`));
    await expect(other.mergeCart({ requestId: randomUUID(), guestCartToken: guest.cartToken })).rejects.toThrow(/merged into another cart/);
    await expect(other.mergeCart({ requestId: randomUUID(), guestCartToken: "a.b.c" })).rejects.toThrow(/guest_cart_token/);
    await expect(other.mergeCart({ requestId: randomUUID(), guestCartToken: await token("someone") })).rejects.toThrow(/guest_cart_token/);
  });

  it("when stock cannot cover the merged quantity, then the line is lowered to what there is, reported as checkout reports it, and held", async () => {
    await setStock(db, 3, { productId: "prod-lamp" });
    const userId = `merger-${randomUUID().slice(0, 8)}`;
    const mine = cartsAs(await token(userId));
    await add(mine, "prod-lamp", 1);
    const guest = await cartsAs("").createGuestCart({});
    await add(cartsAs(guest.cartToken), "prod-lamp", 2);
    clock.offsetMs += 16 * MINUTE;
    // Both holds lapsed: another shopper takes one unit.
    await add(cartsAs(await token(`someone-${randomUUID().slice(0, 8)}`)), "prod-lamp", 1);

    const { cart, adjustments } = await mine.mergeCart({ requestId: randomUUID(), guestCartToken: guest.cartToken, mode: MergeMode.SUM });
    expect(cart!.items.map((i) => [i.productId, i.quantity])).toEqual([["prod-lamp", 2]]);
    expect(adjustments).toEqual([
      expect.objectContaining({ productId: "prod-lamp", reason: CartAdjustments_Reason.SHORT_OF_STOCK, oldQuantity: 3, newQuantity: 2 }),
    ]);
    expect(cart!.holdExpireTime).toBeDefined();
    expect(await held(await holdOf(userId))).toEqual({ "prod-lamp": 2 });
    expect(await reserved("prod-lamp")).toBe(3);
  });
});

import { randomUUID } from "node:crypto";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CartService, CartStatus } from "../../gen/shop/cart/v1/cart_pb.js";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { checkoutRequest } from "../support/cart-fixtures.js";
import { query } from "../support/db.js";
import { failure, reasonOf } from "../support/errors.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { token } from "../support/tokens.js";

/**
 * Guests: a cart started with no token, reached with the guest cart token it came with, checked
 * out with an email; the guest order read through its order link, never by a user id.
 */
describe("guest carts and order links", () => {
  let app: TestApp;
  const logLines: string[] = [];
  const anonymous = () => app.connect(CartService, "");
  const asGuest = (cartToken: string) => app.connect(CartService, cartToken);
  const add = (carts: Client<typeof CartService>, productId: string, quantity: number) =>
    carts.addItem({ requestId: randomUUID(), productId, quantity });

  beforeAll(async () => {
    app = await startTestApp({ LOG_LEVEL: "debug" }, { logLines });
  });
  afterAll(() => app?.stop());

  async function guestWithOrder() {
    const { cartToken } = await anonymous().createGuestCart({ email: "guest@example.com" });
    await add(asGuest(cartToken), "prod-mug", 2);
    const { order, orderLink } = await asGuest(cartToken).checkout(checkoutRequest(""));
    return { cartToken, order: order!, link: orderLink! };
  }

  it("when a guest starts a cart without a token, then it adds, changes, removes and checks out with the cart token, and gets an order link", async () => {
    const started = await anonymous().createGuestCart({ email: "Guest@Example.com" });
    expect(started.cart).toMatchObject({ guest: true, userId: "", status: CartStatus.OPEN, items: [] });
    expect(started.cart!.cartId).toMatch(/^[0-9a-f-]{36}$/);
    expect(started.tokenExpireTime).toBeDefined();
    const guest = asGuest(started.cartToken);
    await add(guest, "prod-mug", 2);
    await add(guest, "prod-tee", 1);
    await guest.updateItemQuantity({ requestId: randomUUID(), productId: "prod-mug", quantity: 3 });
    const { cart } = await guest.removeItem({ requestId: randomUUID(), productId: "prod-tee" });
    expect(cart).toMatchObject({ cartId: started.cart!.cartId, itemCount: 3, guest: true });
    expect((await guest.getCart({})).cart?.items.map((i) => [i.productId, i.quantity])).toEqual([["prod-mug", 3]]);
    expect(await query(app.databaseUrl, `select guest_email from carts where user_id = $1`, [`guest:${started.cart!.cartId}`])).toEqual([
      { guest_email: "guest@example.com" },
    ]);

    const request = checkoutRequest("");
    const placed = await guest.checkout(request);
    expect(placed.order).toMatchObject({ guest: true, userId: `guest:${started.cart!.cartId}` });
    expect(placed.orderLink?.token).toBeTruthy();
    expect((await guest.checkout(request)).orderLink?.token).toBe(placed.orderLink?.token);
    const read = await app.connect(OrderService, placed.orderLink!.token).getOrder({ orderId: placed.order!.id });
    expect(read.order).toMatchObject({ id: placed.order!.id, guest: true });
  });

  it("when a guest token asks for another cart, a signed-in user's cart or any order, then it is refused", async () => {
    const { cartToken, order } = await guestWithOrder();
    const other = await anonymous().createGuestCart({});
    const guest = asGuest(cartToken);
    expect((await failure(guest.getCart({ userId: `guest:${other.cart!.cartId}` }))).code).toBe(Code.NotFound);
    expect((await failure(guest.getCart({ userId: other.cart!.cartId }))).code).toBe(Code.NotFound);
    expect(
      (await failure(add(app.connect(CartService, other.cartToken), "prod-mug", 1).then(() => guest.getCart({ userId: "alice" })))).code,
    ).toBe(Code.NotFound);
    const orders = app.connect(OrderService, cartToken);
    expect((await failure(orders.getOrder({ orderId: order.id }))).code).toBe(Code.PermissionDenied);
    expect((await failure(orders.listOrders({}))).code).toBe(Code.PermissionDenied);
    expect((await failure(guest.mergeCart({ requestId: randomUUID(), guestCartToken: other.cartToken }))).code).toBe(Code.PermissionDenied);
  });

  it("when an order link is used, then it reads its one order only, and stops working once revoked or expired", async () => {
    const first = await guestWithOrder();
    const second = await guestWithOrder();
    const byLink = app.connect(OrderService, first.link.token);
    expect((await byLink.getOrder({ orderId: first.order.id })).order?.id).toBe(first.order.id);
    expect((await failure(byLink.getOrder({ orderId: second.order.id }))).code).toBe(Code.NotFound);
    expect((await failure(byLink.listOrders({}))).code).toBe(Code.PermissionDenied);
    expect((await failure(byLink.cancelOrder({ requestId: randomUUID(), orderId: first.order.id }))).code).toBe(Code.PermissionDenied);
    expect((await failure(app.connect(CartService, first.link.token).getCart({}))).code).toBe(Code.PermissionDenied);

    const refused = await failure(
      app.connect(OrderService, await token("alice")).revokeOrderLinks({ orderId: first.order.id, reason: "x" }),
    );
    expect(refused.code).toBe(Code.PermissionDenied);
    expect(await app.connect(OrderService).revokeOrderLinks({ orderId: first.order.id, reason: "customer asked" })).toMatchObject({
      revoked: 1,
    });
    expect((await failure(byLink.getOrder({ orderId: first.order.id }))).code).toBe(Code.NotFound);
    expect((await asGuest(first.cartToken).getCart({})).cart?.items).toEqual([]);

    await query(app.databaseUrl, `update order_links set expires_at = now() - interval '1 second' where order_id = $1`, [second.order.id]);
    expect((await failure(app.connect(OrderService, second.link.token).getOrder({ orderId: second.order.id }))).code).toBe(Code.NotFound);
  });

  it("when a caller has no token, then only CreateGuestCart answers; a forged capability or a user id posing as a guest is UNAUTHENTICATED", async () => {
    expect((await failure(anonymous().getCart({}))).code).toBe(Code.Unauthenticated);
    expect((await failure(app.connect(OrderService, "").listOrders({}))).code).toBe(Code.Unauthenticated);
    const { cart } = await anonymous().createGuestCart({});
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256", typ: "cap+jwt" })
      .setIssuer("order-service")
      .setAudience("guest-cart")
      .setSubject(cart!.cartId)
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("not-the-service-key-0123456789abcdef"));
    expect((await failure(asGuest(forged).getCart({}))).code).toBe(Code.Unauthenticated);
    const posing = await token(`guest:${cart!.cartId}`);
    expect((await failure(app.connect(CartService, posing).getCart({}))).code).toBe(Code.Unauthenticated);
    expect((await failure(anonymous().createGuestCart({ email: "not an email" }))).code).toBe(Code.InvalidArgument);
  });

  it("when guests call, then no cart token or order link reaches the logs", async () => {
    const { cartToken, link } = await guestWithOrder();
    await app
      .connect(OrderService, link.token)
      .getOrder({ orderId: (await asGuest(cartToken).getCart({})).cart!.cartId })
      .catch(() => undefined);
    const joined = logLines.join("\n");
    expect(joined).toContain("CreateGuestCart");
    for (const secret of [cartToken, link.token, cartToken.split(".")[2]!, link.token.split(".")[2]!]) expect(joined).not.toContain(secret);
  });
});

describe("guest rate limits", () => {
  it("when one address starts too many guest carts or makes too many guest calls, then RESOURCE_EXHAUSTED, per address and per token", async () => {
    const app = await startTestApp({
      GUEST_CARTS_PER_MINUTE_PER_ADDRESS: "3",
      GUEST_CALLS_PER_SECOND_PER_ADDRESS: "1000",
      RATE_LIMIT_PER_SECOND: "5",
    });
    try {
      const anonymous = app.connect(CartService, "");
      const started = [];
      for (let i = 0; i < 3; i++) started.push(await anonymous.createGuestCart({}));
      const refused = await failure(anonymous.createGuestCart({}));
      expect([refused.code, reasonOf(refused)]).toEqual([Code.ResourceExhausted, "GUEST_CARTS"]);
      const guest = app.connect(CartService, started[0]!.cartToken);
      const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => guest.getCart({})));
      const limited = outcomes.filter((o) => o.status === "rejected").map((o) => ConnectError.from(o.reason).code);
      expect(limited.length).toBeGreaterThan(0);
      expect(new Set(limited)).toEqual(new Set([Code.ResourceExhausted]));
      // Another guest's token is charged on its own.
      expect((await app.connect(CartService, started[1]!.cartToken).getCart({})).cart?.guest).toBe(true);
    } finally {
      await app.stop();
    }
  });
});

import { randomUUID } from "node:crypto";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema, QuotaFailureSchema } from "../../gen/google/rpc/error_details_pb.js";
import { CartService } from "../../gen/shop/cart/v1/cart_pb.js";
import { UnknownProductsSchema } from "../../gen/shop/order/v1/order_errors_pb.js";
import { OrderService, OrderStatus } from "../../gen/shop/order/v1/order_pb.js";
import { checkoutRequest } from "../support/cart-fixtures.js";
import { eventTypes, query } from "../support/db.js";
import { startTestApp, unary, type TestApp } from "../support/test-app.js";
import { failure, reasonOf } from "../support/errors.js";
import { startTcpProxy } from "../support/tcp-proxy.js";
import { adminToken } from "../support/tokens.js";

const usd = (amountMinor: bigint) => expect.objectContaining({ currencyCode: "USD", amountMinor });
const newUser = () => `cart-user-${randomUUID().slice(0, 8)}`;

describe("CartService: one cart per user, edited safely", () => {
  let app: TestApp;
  let carts: Client<typeof CartService>;
  beforeAll(async () => {
    app = await startTestApp({ CART_MAX_LINES: "3", CART_MAX_QUANTITY: "20" });
    carts = app.connect(CartService);
  });
  afterAll(() => app?.stop());

  it("when a user has no cart, then GetCart answers an empty one at version 0", async () => {
    const { cart } = await carts.getCart({ userId: newUser() });
    expect(cart).toMatchObject({ items: [], itemCount: 0, version: 0n, total: usd(0n), shipping: usd(0n) });
  });

  it("when items are added, then lines keep a snapshot, the same product adds up, and totals follow the order rules", async () => {
    const userId = newUser();
    await carts.addItem({ requestId: randomUUID(), userId, productId: "prod-mug", quantity: 2 });
    await carts.addItem({ requestId: randomUUID(), userId, productId: "prod-tee", quantity: 1 });
    const { cart } = await carts.addItem({ requestId: randomUUID(), userId, productId: "prod-mug", quantity: 1 });
    expect(cart?.items.map((i) => [i.productId, i.quantity, i.name, i.unitPrice?.amountMinor])).toEqual([
      ["prod-mug", 3, "Stoneware mug", 1250n],
      ["prod-tee", 1, "Organic cotton tee", 2400n],
    ]);
    expect(cart?.items[0]?.imageUrl).toBe("https://img.example.com/prod-mug.jpg");
    // 3750 + 2400 = 6150: free shipping, tax 492.
    expect(cart).toMatchObject({ subtotal: usd(6150n), tax: usd(492n), shipping: usd(0n), total: usd(6642n), itemCount: 4, version: 3n });
    expect(cart?.expireTime).toBeDefined();
  });

  it("when quantities change, lines are removed, or the cart is cleared, then the cart follows", async () => {
    const userId = newUser();
    await carts.addItem({ requestId: randomUUID(), userId, productId: "prod-mug", quantity: 2 });
    await carts.addItem({ requestId: randomUUID(), userId, productId: "prod-cap", quantity: 1 });
    expect(
      (await carts.updateItemQuantity({ requestId: randomUUID(), userId, productId: "prod-mug", quantity: 5 })).cart?.items[0]?.quantity,
    ).toBe(5);
    expect(
      (await carts.updateItemQuantity({ requestId: randomUUID(), userId, productId: "prod-cap", quantity: 0 })).cart?.items.map(
        (i) => i.productId,
      ),
    ).toEqual(["prod-mug"]);
    expect((await failure(carts.removeItem({ requestId: randomUUID(), userId, productId: "prod-cap" }))).code).toBe(Code.NotFound);
    expect((await failure(carts.updateItemQuantity({ requestId: randomUUID(), userId, productId: "prod-tee", quantity: 1 }))).code).toBe(
      Code.NotFound,
    );
    await carts.addItem({ requestId: randomUUID(), userId, productId: "prod-tee", quantity: 1 });
    expect((await carts.removeItem({ requestId: randomUUID(), userId, productId: "prod-tee" })).cart?.items).toHaveLength(1);
    const cleared = (await carts.clearCart({ requestId: randomUUID(), userId })).cart!;
    expect(cleared).toMatchObject({ items: [], itemCount: 0, subtotal: usd(0n) });
  });

  it("when inputs are bad, then INVALID_ARGUMENT names every field", async () => {
    const error = await failure(carts.addItem({ requestId: randomUUID(), userId: "bad user!", productId: "bad id!", quantity: 0 }));
    expect(error.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(["quantity", "user_id", "product_id"]);
    const tooMany = await failure(
      carts.updateItemQuantity({ requestId: randomUUID(), userId: newUser(), productId: "prod-mug", quantity: 21 }),
    );
    expect(tooMany.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.description).toBe("must be between 0 and 20");
    expect((await failure(carts.getCart({ userId: "x".repeat(129) }))).code).toBe(Code.InvalidArgument);
  });

  it("when the product is unknown or off sale, then INVALID_ARGUMENT or FAILED_PRECONDITION and no cart is written", async () => {
    const userId = newUser();
    const unknown = await failure(carts.addItem({ requestId: randomUUID(), userId, productId: "prod-nope", quantity: 1 }));
    expect(unknown.findDetails(UnknownProductsSchema)[0]?.productIds).toEqual(["prod-nope"]);
    const inactive = await failure(carts.addItem({ requestId: randomUUID(), userId, productId: "prod-retired", quantity: 1 }));
    expect([inactive.code, reasonOf(inactive)]).toEqual([Code.FailedPrecondition, "PRODUCTS_INACTIVE"]);
    expect(await query(app.databaseUrl, `select 1 from carts where user_id = $1`, [userId])).toEqual([]);
  });

  it("when a limit would be passed, then RESOURCE_EXHAUSTED with a QuotaFailure", async () => {
    const userId = newUser();
    await carts.addItem({ requestId: randomUUID(), userId, productId: "prod-mug", quantity: 15 });
    const line = await failure(carts.addItem({ requestId: randomUUID(), userId, productId: "prod-mug", quantity: 6 }));
    expect([line.code, reasonOf(line)]).toEqual([Code.ResourceExhausted, "CART_LINE_LIMIT"]);
    expect(line.findDetails(QuotaFailureSchema)[0]?.violations[0]?.subject).toBe("products/prod-mug");
    await carts.addItem({ requestId: randomUUID(), userId, productId: "prod-tee", quantity: 1 });
    await carts.addItem({ requestId: randomUUID(), userId, productId: "prod-cap", quantity: 1 });
    const full = await failure(carts.addItem({ requestId: randomUUID(), userId, productId: "prod-socks", quantity: 1 }));
    expect([full.code, reasonOf(full)]).toEqual([Code.ResourceExhausted, "CART_FULL"]);
  });

  it("when two tabs edit with the same version, then the second gets ABORTED and nothing is overwritten", async () => {
    const userId = newUser();
    const { cart } = await carts.addItem({ requestId: randomUUID(), userId, productId: "prod-mug", quantity: 1 });
    await carts.updateItemQuantity({ requestId: randomUUID(), userId, productId: "prod-mug", quantity: 4, expectedVersion: cart!.version });
    const stale = await failure(
      carts.updateItemQuantity({ requestId: randomUUID(), userId, productId: "prod-mug", quantity: 9, expectedVersion: cart!.version }),
    );
    expect([stale.code, reasonOf(stale)]).toEqual([Code.Aborted, "VERSION_MISMATCH"]);
    expect((await carts.getCart({ userId })).cart?.items[0]?.quantity).toBe(4);
  });

  it("when 20 AddItem calls for one cart arrive at once, then every quantity is kept", async () => {
    const userId = newUser();
    await Promise.all(
      Array.from({ length: 20 }, () => carts.addItem({ requestId: randomUUID(), userId, productId: "prod-socks", quantity: 1 })),
    );
    const { cart } = await carts.getCart({ userId });
    expect(cart).toMatchObject({ itemCount: 20, version: 20n });
  });

  it("when the cart is checked out over gRPC, then the order has its lines and the cart is empty", async () => {
    const userId = newUser();
    await carts.addItem({ requestId: randomUUID(), userId, productId: "prod-mug", quantity: 2 });
    await carts.addItem({ requestId: randomUUID(), userId, productId: "prod-tee", quantity: 1 });
    const { order } = await unary<{
      order: { id: string; userId: string; status: OrderStatus; items: { productId: string; quantity: number }[] };
    }>(app.grpcClient(CartService), "checkout", checkoutRequest(userId, { expectedVersion: 2n }));
    expect(order).toMatchObject({ userId, status: OrderStatus.PENDING });
    expect(order.items.map((i) => [i.productId, i.quantity])).toEqual([
      ["prod-mug", 2],
      ["prod-tee", 1],
    ]);
    expect((await carts.getCart({ userId })).cart).toMatchObject({ items: [], version: 3n });
    expect((await app.connect(OrderService).getOrder({ orderId: order.id })).order?.total).toEqual(usd(5891n));
    expect(await eventTypes(app.databaseUrl, order.id)).toEqual(["OrderCreated", "OrderItemCreated", "OrderItemCreated"]);
  });

  it("when a checkout is repeated with its request id, then the same order returns; a new request id finds the cart empty", async () => {
    const userId = newUser();
    await carts.addItem({ requestId: randomUUID(), userId, productId: "prod-cap", quantity: 1 });
    const request = checkoutRequest(userId);
    const first = await carts.checkout(request);
    expect(await carts.checkout(request)).toEqual(first);
    const again = await failure(carts.checkout(checkoutRequest(userId)));
    expect([again.code, reasonOf(again)]).toEqual([Code.FailedPrecondition, "CART_EMPTY"]);
    expect(await query(app.databaseUrl, `select id from orders where user_id = $1`, [userId])).toHaveLength(1);
  });

  it("when one cart is checked out five times at once with different request ids, then exactly one order is placed", async () => {
    const userId = newUser();
    await carts.addItem({ requestId: randomUUID(), userId, productId: "prod-notebook", quantity: 2 });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => carts.checkout(checkoutRequest(userId))));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results)
      if (r.status === "rejected") expect([Code.Aborted, Code.FailedPrecondition]).toContain(ConnectError.from(r.reason).code);
    expect(await query(app.databaseUrl, `select id from orders where user_id = $1`, [userId])).toHaveLength(1);
    expect(
      await query(
        app.databaseUrl,
        `select id from catalog_reservations r where status = 'HELD'
         and not exists (select 1 from orders o where o.id::text = r.id) and not exists (select 1 from carts c where c.reservation_id = r.id)`,
      ),
    ).toEqual([]);
  });

  it("when every cart RPC is called over gRPC, then each answers as over Connect", async () => {
    const userId = newUser();
    const client = app.grpcClient(CartService);
    type CartReply = { cart: { items: { productId: string; quantity: number }[]; version: bigint } };
    await unary<CartReply>(client, "addItem", { requestId: randomUUID(), userId, productId: "prod-mug", quantity: 1 });
    await unary<CartReply>(client, "addItem", { requestId: randomUUID(), userId, productId: "prod-tee", quantity: 1 });
    expect(
      (await unary<CartReply>(client, "updateItemQuantity", { requestId: randomUUID(), userId, productId: "prod-mug", quantity: 3 })).cart
        .items[0]?.quantity,
    ).toBe(3);
    expect(
      (await unary<CartReply>(client, "removeItem", { requestId: randomUUID(), userId, productId: "prod-tee" })).cart.items,
    ).toHaveLength(1);
    expect((await unary<CartReply>(client, "getCart", { userId })).cart.version).toBe(4n);
    expect((await unary<CartReply>(client, "clearCart", { requestId: randomUUID(), userId, expectedVersion: 4n })).cart.items).toEqual([]);
    const stale = await unary(client, "clearCart", { requestId: randomUUID(), userId, expectedVersion: 4n }).catch(
      (e: { code: number }) => e,
    );
    expect((stale as { code: number }).code).toBe(Code.Aborted);
  });

  it("when checkout input is bad, then INVALID_ARGUMENT lists the fields and nothing is placed", async () => {
    const userId = newUser();
    await carts.addItem({ requestId: randomUUID(), userId, productId: "prod-mug", quantity: 1 });
    const error = await failure(
      carts.checkout(checkoutRequest(userId, { requestId: "", customer: { email: "x" }, paymentMethod: undefined })),
    );
    const fields = error.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field);
    expect(fields).toEqual(expect.arrayContaining(["request_id", "customer.email", "customer.first_name", "payment_method"]));
    expect((await carts.getCart({ userId })).cart?.items).toHaveLength(1);
  });
});

describe("cart changes are safe to retry (AIP-155)", () => {
  it("when the answer to AddItem is lost and the client retries with the same request id, then the product is added once and the retry gets the first answer", async () => {
    const app = await startTestApp();
    const proxy = await startTcpProxy(`http://127.0.0.1:${app.httpPort}`);
    try {
      const userId = `retry-${randomUUID().slice(0, 8)}`;
      const request = { requestId: randomUUID(), userId, productId: "prod-mug", quantity: 2 };
      const viaProxy = createClient(
        CartService,
        createConnectTransport({
          baseUrl: proxy.url,
          httpVersion: "1.1",
          interceptors: [(next) => (r) => (r.header.set("authorization", `Bearer ${adminToken}`), next(r))],
        }),
      );
      proxy.setMode("lose answers");
      await expect(viaProxy.addItem(request)).rejects.toBeDefined();
      const retried = await app.connect(CartService).addItem(request);
      expect(retried.cart?.items).toEqual([expect.objectContaining({ productId: "prod-mug", quantity: 2 })]);
      const again = await app.connect(CartService).addItem(request);
      expect(again).toEqual(retried);
      expect((await app.connect(CartService).getCart({ userId })).cart?.items[0]?.quantity).toBe(2);
      const reused = await app
        .connect(CartService)
        .addItem({ ...request, quantity: 3 })
        .catch((e) => ConnectError.from(e));
      expect((reused as ConnectError).code).toBe(Code.AlreadyExists);
    } finally {
      proxy.stop();
      await app.stop();
    }
  });
});

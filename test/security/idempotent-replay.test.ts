import { randomUUID } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import type * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema, ResourceInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { CartService } from "../../gen/shop/cart/v1/cart_pb.js";
import { ItemStatus, OrderService, OrderStatus, type Order } from "../../gen/shop/order/v1/order_pb.js";
import { checkoutRequest } from "../support/cart-fixtures.js";
import { createOrderRequest } from "../support/fixtures.js";
import { reasonOf } from "../support/errors.js";
import { startTestApp, unary, type TestApp } from "../support/test-app.js";
import { adminToken, token } from "../support/tokens.js";

const ALICE = "alice";
/** A call that succeeded, beside the codes of those that did not. */
const OK = 0 as Code;
const BOB = "bob";

/** What a refusal looks like with the order id taken out, so two refusals about different ids compare equal. */
function shapeOf(error: unknown, id: string) {
  const e = ConnectError.from(error);
  const erase = (text: string) => text.replaceAll(id, "<id>");
  return {
    code: e.code,
    message: erase(e.rawMessage),
    errorInfo: e.findDetails(ErrorInfoSchema).map((d) => ({ reason: d.reason, domain: d.domain, metadata: d.metadata })),
    resourceInfo: e.findDetails(ResourceInfoSchema).map((d) => ({ type: d.resourceType, name: erase(d.resourceName) })),
    details: e.details.length,
  };
}

const outcome = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

describe("attack: reading another customer's order by replaying their request id", () => {
  let app: TestApp;
  let tokens: { alice: string; bob: string; admin2: string };
  const orders = (bearer: string) => app.connect(OrderService, bearer);
  const place = async () => (await orders(tokens.alice).createOrder(createOrderRequest({ userId: "" }))).order!;

  beforeAll(async () => {
    app = await startTestApp();
    tokens = { alice: await token(ALICE), bob: await token(BOB), admin2: await token("ops-2", ["admin"]) };
  });
  afterAll(() => app?.stop());

  /** RPCs a customer may call on their own order: Alice calls, Bob replays her exact request. */
  const customerRpcs: [string, (bearer: string, order: Order, requestId: string) => Promise<unknown>][] = [
    ["CancelOrder", (b, o, r) => orders(b).cancelOrder({ requestId: r, orderId: o.id, reason: "changed my mind" })],
    ["PayOrder", (b, o, r) => orders(b).payOrder({ requestId: r, orderId: o.id, paymentMethod: createOrderRequest().paymentMethod })],
  ];

  it.each(customerRpcs)("%s: when Bob replays Alice's request id, then he gets exactly what an unknown order gets", async (_, call) => {
    const order = await place();
    await call(tokens.alice, order, "cancel-r1");
    const replay = await outcome(call(tokens.bob, order, "cancel-r1"));
    expect(
      "error" in replay,
      `Bob received ${JSON.stringify((replay as { value: unknown }).value, (_, v) => (typeof v === "bigint" ? String(v) : v))}`,
    ).toBe(true);
    const unknown = { ...order, id: randomUUID() };
    const missing = await outcome(call(tokens.bob, unknown, randomUUID()));
    expect(shapeOf((replay as { error: unknown }).error, order.id)).toEqual(shapeOf((missing as { error: unknown }).error, unknown.id));
  });

  it("over gRPC too: when Bob replays Alice's cancel, then NOT_FOUND with the message an unknown order gets", async () => {
    const order = await place();
    const request = { requestId: "cancel-grpc-r1", orderId: order.id, reason: "changed my mind" };
    await unary(app.grpcClient(OrderService, tokens.alice), "cancelOrder", request);
    const replay = await unary(app.grpcClient(OrderService, tokens.bob), "cancelOrder", request).catch((e: grpc.ServiceError) => e);
    const unknownId = randomUUID();
    const missing = await unary(app.grpcClient(OrderService, tokens.bob), "cancelOrder", { ...request, orderId: unknownId }).catch(
      (e: grpc.ServiceError) => e,
    );
    expect(replay).toBeInstanceOf(Error);
    const shape = (e: grpc.ServiceError, id: string) => ({ code: e.code, details: e.details.replaceAll(id, "<id>") });
    expect(shape(replay as grpc.ServiceError, order.id)).toEqual(shape(missing as grpc.ServiceError, unknownId));
  });

  it("when Alice's order is deleted after her cancel, then replaying her own cancel is NOT_FOUND like any unknown order, not the stored order", async () => {
    const order = await place();
    await orders(tokens.alice).cancelOrder({ requestId: "cancel-r2", orderId: order.id, reason: "changed my mind" });
    await orders(adminToken).deleteOrder({ requestId: randomUUID(), orderId: order.id });
    const replay = await outcome(
      orders(tokens.alice).cancelOrder({ requestId: "cancel-r2", orderId: order.id, reason: "changed my mind" }),
    );
    expect("error" in replay).toBe(true);
    const unknownId = randomUUID();
    const missing = await outcome(orders(tokens.alice).cancelOrder({ requestId: randomUUID(), orderId: unknownId, reason: "x" }));
    expect(shapeOf((replay as { error: unknown }).error, order.id)).toEqual(shapeOf((missing as { error: unknown }).error, unknownId));
  });

  it("CreateOrder and Checkout: when Bob replays Alice's request id, then he acts on his own account and never receives her order", async () => {
    const request = createOrderRequest({ userId: "", requestId: "place-r1" });
    const alices = (await orders(tokens.alice).createOrder(request)).order!;
    const bobs = (await orders(tokens.bob).createOrder(request)).order!;
    expect(bobs.userId).toBe(BOB);
    expect(bobs.id).not.toBe(alices.id);

    const carts = (bearer: string) => app.connect(CartService, bearer);
    await carts(tokens.alice).addItem({ requestId: randomUUID(), productId: "prod-mug", quantity: 1 });
    await carts(tokens.bob).addItem({ requestId: randomUUID(), productId: "prod-tee", quantity: 1 });
    const checkout = checkoutRequest("", { requestId: "checkout-r1" });
    const alicesCheckout = (await carts(tokens.alice).checkout(checkout)).order!;
    const bobsCheckout = (await carts(tokens.bob).checkout(checkout)).order!;
    expect(bobsCheckout.userId).toBe(BOB);
    expect(bobsCheckout.id).not.toBe(alicesCheckout.id);
    expect(bobsCheckout.items.map((item) => item.productId)).toEqual(["prod-tee"]);
  });

  it("cart: when Alice repeats the request id an operator used on her cart, then hers is a request of its own that runs, not the operator's stored answer", async () => {
    const request = { requestId: "cart-staff-r1", userId: ALICE, productId: "prod-cap", quantity: 1 };
    const byOperator = (await app.connect(CartService, adminToken).addItem(request)).cart!;
    const byAlice = (await app.connect(CartService, tokens.alice).addItem(request)).cart!;
    const caps = (cart: typeof byAlice) => cart.items.find((item) => item.productId === "prod-cap")?.quantity;
    expect(byAlice.userId).toBe(ALICE);
    expect(caps(byAlice)).toBe(caps(byOperator)! + 1);
    expect(byAlice.version).toBeGreaterThan(byOperator.version);
  });

  it.each<[string, (bearer: string) => Promise<unknown>]>([
    [
      "AddItem",
      (b: string) => app.connect(CartService, b).addItem({ requestId: randomUUID(), userId: ALICE, productId: "prod-mug", quantity: 1 }),
    ],
    [
      "UpdateItemQuantity",
      (b: string) =>
        app.connect(CartService, b).updateItemQuantity({ requestId: randomUUID(), userId: ALICE, productId: "prod-mug", quantity: 3 }),
    ],
    [
      "RemoveItem",
      (b: string) => app.connect(CartService, b).removeItem({ requestId: randomUUID(), userId: ALICE, productId: "prod-mug" }),
    ],
    ["ClearCart", (b: string) => app.connect(CartService, b).clearCart({ requestId: randomUUID(), userId: ALICE })],
  ])("cart %s: when Bob repeats Alice's edit on her cart, then he gets what a missing cart gets", async (_, call) => {
    await app.connect(CartService, tokens.alice).addItem({ requestId: randomUUID(), productId: "prod-mug", quantity: 1 });
    const replay = await outcome(call(tokens.bob));
    expect("error" in replay).toBe(true);
    const shape = shapeOf((replay as { error: unknown }).error, ALICE);
    const missing = await outcome(app.connect(CartService, tokens.bob).getCart({ userId: "nobody-at-all" }));
    expect(shape).toEqual(shapeOf((missing as { error: unknown }).error, "nobody-at-all"));
  });

  /**
   * Staff RPCs: one operator's stored answer is theirs; another operator's replay is a request of
   * its own, answered as that request again would be (the code last: OK, or what repeating it meets).
   */
  const staffRpcs: [
    string,
    (order: Order) => Promise<void>,
    (bearer: string, order: Order, requestId: string) => Promise<{ order?: Order } | object>,
    Code,
  ][] = [
    ["UpdateOrder", async () => undefined, (b, o, r) => orders(b).updateOrder({ requestId: r, orderId: o.id, notes: "ring twice" }), OK],
    [
      "UpdateOrderStatus",
      async () => undefined,
      (b, o, r) => orders(b).updateOrderStatus({ requestId: r, orderId: o.id, status: OrderStatus.CONFIRMED }),
      Code.FailedPrecondition,
    ],
    [
      "RefundOrder",
      async (o) =>
        void (await orders(adminToken).payOrder({
          requestId: randomUUID(),
          orderId: o.id,
          paymentMethod: createOrderRequest().paymentMethod,
        })),
      (b, o, r) => orders(b).refundOrder({ requestId: r, orderId: o.id, reason: "damaged" }),
      Code.FailedPrecondition,
    ],
    [
      "DeleteOrder",
      async (o) => void (await orders(adminToken).cancelOrder({ requestId: randomUUID(), orderId: o.id, reason: "gone" })),
      (b, o, r) => orders(b).deleteOrder({ requestId: r, orderId: o.id }),
      Code.NotFound,
    ],
    [
      "UpdateOrderItemStatus",
      async (o) =>
        void (await orders(adminToken).updateOrderStatus({ requestId: randomUUID(), orderId: o.id, status: OrderStatus.CONFIRMED })),
      (b, o, r) => orders(b).updateOrderItemStatus({ requestId: r, orderId: o.id, itemId: o.items[0]!.id, status: ItemStatus.PROCESSING }),
      Code.FailedPrecondition,
    ],
    [
      "AddOrderItem",
      async () => undefined,
      (b, o, r) => orders(b).addOrderItem({ requestId: r, orderId: o.id, item: { productId: "prod-cap", quantity: 1 } }),
      Code.AlreadyExists,
    ],
    [
      "UpdateOrderItemQuantity",
      async () => undefined,
      (b, o, r) => orders(b).updateOrderItemQuantity({ requestId: r, orderId: o.id, itemId: o.items[0]!.id, quantity: 3 }),
      OK,
    ],
    [
      "RemoveOrderItem",
      async () => undefined,
      (b, o, r) => orders(b).removeOrderItem({ requestId: r, orderId: o.id, itemId: o.items[1]!.id }),
      Code.NotFound,
    ],
  ];

  it.each(staffRpcs)(
    "%s: when the owner or another operator replays an operator's request id, then neither receives the stored answer",
    async (_, prepare, call, fresh) => {
      const order = await place();
      await prepare(order);
      const first = (await call(adminToken, order, "staff-r1")) as { order?: Order };
      const byOwner = await outcome(call(tokens.alice, order, "staff-r1"));
      expect("error" in byOwner && shapeOf(byOwner.error, order.id).code).toBe(Code.PermissionDenied);
      // The stored answer would show the order as it was; move it on so a fresh answer is told apart.
      if (first.order) await orders(adminToken).updateOrder({ requestId: randomUUID(), orderId: order.id, notes: "moved on" });
      const byOther = await outcome(call(tokens.admin2, order, "staff-r1"));
      const code = "value" in byOther ? OK : ConnectError.from(byOther.error).code;
      expect(code, "another operator's replay is answered as a request of its own").toBe(fresh);
      if (code === Code.AlreadyExists)
        expect(reasonOf(ConnectError.from((byOther as { error: unknown }).error))).toBe("ITEM_ALREADY_IN_ORDER");
      if ("value" in byOther) expect((byOther.value as { order?: Order }).order?.version).toBeGreaterThan(first.order!.version);
    },
  );
});

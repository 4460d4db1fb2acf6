import { randomUUID } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CartService } from "../../gen/shop/cart/v1/cart_pb.js";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { failure } from "../support/errors.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTestApp, unary, type TestApp } from "../support/test-app.js";
import { token } from "../support/tokens.js";

describe("attack: a subject that authentication accepts and the user id rule refuses", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  it("when the token's subject is an email address, then the caller can use their own cart and orders", async () => {
    const bearer = await token("ann@example.com");
    const cart = await app.connect(CartService, bearer).addItem({ requestId: randomUUID(), productId: "prod-mug", quantity: 1 });
    expect(cart.cart?.userId).toBe("ann@example.com");
    const placed = await app.connect(OrderService, bearer).createOrder(createOrderRequest({ userId: "" }));
    expect(placed.order?.userId).toBe("ann@example.com");
    const staffView = await app.connect(CartService).getCart({ userId: "ann@example.com" });
    expect(staffView.cart?.items).toHaveLength(1);
    const overGrpc = await unary<{ cart: { userId: string } }>(app.grpcClient(CartService, bearer), "getCart", {});
    expect(overGrpc.cart.userId).toBe("ann@example.com");
  });

  it.each(["ann example", "ann|x", "a".repeat(129), "ann/../bob"])(
    "when the subject is %j, then authentication refuses it, as the user id rule would",
    async (subject) => {
      const error = await failure(app.connect(CartService, await token(subject)).getCart({}));
      expect(error.code).toBe(Code.Unauthenticated);
      const asField = await failure(app.connect(CartService).getCart({ userId: subject }));
      expect(asField.code).toBe(Code.InvalidArgument);
    },
  );
});

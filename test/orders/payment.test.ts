import { randomUUID } from "node:crypto";
import { Code, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { OrderService, OrderStatus, PaymentMethodType, PaymentStatus, type Order } from "../../gen/shop/order/v1/order_pb.js";
import { TEST_TOKENS } from "../../src/payments/reference/reference-payments.js";
import { eventTypes } from "../support/db.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { failure, reasonOf } from "../support/errors.js";

const rid = () => randomUUID();
const card = (paymentToken: string) => ({ method: { case: "card" as const, value: { paymentToken, brand: "VISA", last4: "4242" } } });

describe("payments through the built-in Payment service", () => {
  let app: TestApp;
  let orders: Client<typeof OrderService>;
  beforeAll(async () => {
    app = await startTestApp();
    orders = app.connect(OrderService);
  });
  afterAll(() => app?.stop());

  const place = async (overrides = {}) => (await orders.createOrder(createOrderRequest(overrides))).order!;
  const pay = (order: Order, paymentMethod?: ReturnType<typeof card>, requestId = rid()) =>
    orders.payOrder({ requestId, orderId: order.id, paymentMethod }).then((r) => r.order!);

  it("when the card is declined, then FAILED_PRECONDITION, the failed attempt is kept, and another card can pay", async () => {
    const order = await place();
    const declined = await failure(pay(order, card(TEST_TOKENS.declined)));
    expect(declined.code).toBe(Code.FailedPrecondition);
    expect(reasonOf(declined)).toBe("PAYMENT_DECLINED");
    const afterDecline = (await orders.getOrder({ orderId: order.id })).order!;
    expect(afterDecline).toMatchObject({
      status: OrderStatus.PENDING,
      payment: { status: PaymentStatus.FAILED, failureReason: "card_declined" },
    });

    const paid = await pay(order, card("tok_visa_ok"));
    expect(paid).toMatchObject({
      status: OrderStatus.PAID,
      payment: { status: PaymentStatus.CAPTURED, failureReason: "", display: "VISA •••• 4242" },
    });
    expect(paid.payment?.transactionId).toMatch(/^ch_/);
    expect(await eventTypes(app.databaseUrl, order.id)).toEqual([
      "OrderCreated",
      "OrderItemCreated",
      "OrderItemCreated",
      "OrderPaymentFailed",
      "OrderStatusChanged",
      "PaymentCaptured",
      "OrderPaid",
    ]);
  });

  it("when funds are insufficient, then the decline code says so", async () => {
    const order = await place();
    expect(reasonOf(await failure(pay(order, card(TEST_TOKENS.insufficientFunds))))).toBe("PAYMENT_DECLINED");
    expect((await orders.getOrder({ orderId: order.id })).order?.payment?.failureReason).toBe("insufficient_funds");
  });

  it("when the gateway cannot answer, then UNAVAILABLE and the order is untouched", async () => {
    const order = await place();
    const error = await failure(pay(order, card(TEST_TOKENS.providerError)));
    expect(error.code).toBe(Code.Unavailable);
    expect((await orders.getOrder({ orderId: order.id })).order).toEqual(order);
  });

  it("when a card order is paid without a new token, or with something that is not a token, then INVALID_ARGUMENT names the field", async () => {
    const order = await place();
    const error = await failure(pay(order));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe("payment_method");
    const notAToken = await failure(pay(order, card("4242424242424242")));
    expect(notAToken.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe("payment_method.card.payment_token");
    const noToken = await failure(
      orders.payOrder({
        requestId: rid(),
        orderId: order.id,
        paymentMethod: { method: { case: "card", value: { brand: "VISA", last4: "4242" } } },
      }),
    );
    expect(noToken.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe("payment_method.card.payment_token");
  });

  it("when a UPI order is paid, then the handle given at placement is used; a declining handle fails", async () => {
    const upi = await place({ paymentMethod: { method: { case: "upi", value: { vpa: "ann@okbank" } } } });
    expect(await pay(upi)).toMatchObject({
      status: OrderStatus.PAID,
      payment: { method: PaymentMethodType.UPI, status: PaymentStatus.CAPTURED },
    });
    const rejected = await place({ paymentMethod: { method: { case: "upi", value: { vpa: "decline@okbank" } } } });
    expect(reasonOf(await failure(pay(rejected)))).toBe("PAYMENT_DECLINED");
  });

  it("when an order is paid twice, or paid after cancelling, then FAILED_PRECONDITION", async () => {
    const order = await place();
    await pay(order, card("tok_visa_ok"));
    expect(reasonOf(await failure(pay(order, card("tok_visa_ok"))))).toBe("ALREADY_PAID");
    const cancelled = await place();
    await orders.cancelOrder({ requestId: rid(), orderId: cancelled.id, reason: "no" });
    expect(reasonOf(await failure(pay(cancelled, card("tok_visa_ok"))))).toBe("ORDER_CLOSED");
  });

  it("when ten copies of one PayOrder arrive at once, then one capture and ten identical answers", async () => {
    const order = await place();
    const requestId = rid();
    const answers = await Promise.all(Array.from({ length: 10 }, () => pay(order, card("tok_visa_ok"), requestId)));
    expect(new Set(answers.map((a) => a.payment?.transactionId)).size).toBe(1);
    expect((await eventTypes(app.databaseUrl, order.id)).filter((t) => t === "OrderPaid")).toHaveLength(1);
  });

  it("when cash on delivery is collected after delivery, then the payment is captured and the order stays DELIVERED", async () => {
    let order = await place({ paymentMethod: { method: { case: "cashOnDelivery", value: {} } } });
    for (const [status, extra] of [
      [OrderStatus.CONFIRMED, {}],
      [OrderStatus.PROCESSING, {}],
      [OrderStatus.SHIPPED, { trackingNumber: "COD1" }],
      [OrderStatus.DELIVERED, {}],
    ] as const) {
      order = (await orders.updateOrderStatus({ requestId: rid(), orderId: order.id, status, ...extra })).order!;
    }
    const paid = await pay(order);
    expect(paid).toMatchObject({
      status: OrderStatus.DELIVERED,
      payment: { status: PaymentStatus.CAPTURED, method: PaymentMethodType.CASH_ON_DELIVERY },
    });
  });
});

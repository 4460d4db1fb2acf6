import { randomUUID } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderService, OrderStatus, PaymentStatus } from "../../gen/shop/order/v1/order_pb.js";
import { startPaymentTestServer } from "../support/catalog-test-server.js";
import { failure, reasonOf } from "../support/errors.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

const rid = () => randomUUID();
const token = { method: { case: "card" as const, value: { paymentToken: "tok_visa_ok", brand: "VISA", last4: "4242" } } };

describe("the Payment service over gRPC: healthy, slow and failing", () => {
  let payments: Awaited<ReturnType<typeof startPaymentTestServer>>;
  let app: TestApp;
  beforeAll(async () => {
    payments = await startPaymentTestServer();
    app = await startTestApp({
      PAYMENT_SERVICE_URL: payments.url,
      DEPENDENCY_TIMEOUT_MS: "300",
      DEPENDENCY_RETRIES: "1",
      BREAKER_THRESHOLD: "3",
      BREAKER_HALF_OPEN_MS: "1000",
    });
  });
  afterAll(async () => {
    await app?.stop();
    payments?.stop();
  });
  const place = async () => (await app.connect(OrderService).createOrder(createOrderRequest())).order!;

  it("when the order is paid, then the token is authorized and the authorization captured, each with a key derived from the request", async () => {
    const order = await place();
    payments.seen.length = 0;
    const requestId = rid();
    const paid = (await app.connect(OrderService).payOrder({ requestId, orderId: order.id, paymentMethod: token })).order!;
    expect(paid).toMatchObject({ status: OrderStatus.PAID, payment: { status: PaymentStatus.CAPTURED, display: "VISA •••• 4242" } });
    expect(payments.seen.map((s) => s.call)).toEqual(["authorize", "capture"]);
    expect(payments.seen[0]!.key).toBe(`pay:${order.id}:${requestId}`);
    expect(paid.payment?.transactionId).toBe(`tx-capture:pay:${order.id}:${requestId}`);
  });

  it("when the Payment service hangs, then PayOrder answers UNAVAILABLE within its deadline and the order is not paid", async () => {
    const order = await place();
    payments.script.queue.push({ kind: "hang" }, { kind: "hang" });
    const started = Date.now();
    const error = await failure(
      app.connect(OrderService).payOrder({ requestId: rid(), orderId: order.id, paymentMethod: token }, { timeoutMs: 5_000 }),
    );
    expect([Code.Unavailable, Code.DeadlineExceeded]).toContain(error.code);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect((await app.connect(OrderService).getOrder({ orderId: order.id })).order?.payment?.status).toBe(PaymentStatus.PENDING);
  });

  it("when capture fails after the authorization, then the authorization is voided and the order is not paid", async () => {
    const order = await place();
    payments.seen.length = 0;
    payments.script.queue.push({ kind: "ok" }, { kind: "fail", code: Code.Unavailable }, { kind: "fail", code: Code.Unavailable });
    const error = await failure(app.connect(OrderService).payOrder({ requestId: rid(), orderId: order.id, paymentMethod: token }));
    expect(error.code).toBe(Code.Unavailable);
    expect(reasonOf(error)).toBe("DEPENDENCY_UNAVAILABLE");
    expect(payments.seen.map((s) => s.call)).toEqual(["authorize", "capture", "capture", "void"]);
    expect((await app.connect(OrderService).getOrder({ orderId: order.id })).order?.payment?.status).toBe(PaymentStatus.PENDING);
  });

  it("when the Payment service keeps failing, then the circuit opens (calls fail fast) and closes again once it recovers", async () => {
    const order = await place();
    payments.script.behaviour = { kind: "fail", code: Code.Unavailable };
    for (let i = 0; i < 3; i++)
      await failure(app.connect(OrderService).payOrder({ requestId: rid(), orderId: order.id, paymentMethod: token }));
    const calls = payments.script.calls;
    const fast = await failure(app.connect(OrderService).payOrder({ requestId: rid(), orderId: order.id, paymentMethod: token }));
    expect(fast.rawMessage).toContain("circuit open");
    expect(payments.script.calls).toBe(calls);
    payments.script.behaviour = { kind: "ok" };
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const paid = (await app.connect(OrderService).payOrder({ requestId: rid(), orderId: order.id, paymentMethod: token })).order!;
    expect(paid.payment?.status).toBe(PaymentStatus.CAPTURED);
  });

  it("when a captured order is cancelled, then the capture is refunded through the Payment service", async () => {
    const order = await place();
    await app.connect(OrderService).payOrder({ requestId: rid(), orderId: order.id, paymentMethod: token });
    payments.seen.length = 0;
    const cancelled = (await app.connect(OrderService).cancelOrder({ requestId: rid(), orderId: order.id, reason: "changed my mind" }))
      .order!;
    expect(cancelled.payment?.status).toBe(PaymentStatus.REFUNDED);
    expect(payments.seen).toEqual([{ call: "refund", key: `refund:${order.id}` }]);
  });
});

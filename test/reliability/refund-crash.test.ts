import * as grpc from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderLedgerService, RefundCause } from "../../gen/shop/order/v1/ledger_pb.js";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { startRecordingPaymentServer } from "../support/catalog-test-server.js";
import { query } from "../support/db.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startServiceStack } from "../support/service-process.js";
import { unary } from "../support/test-app.js";

type Answer = { order: { id: string; balance: { refunded: { amountMinor: string } } } };

/**
 * The order service is killed (SIGKILL) after the Payment service gave the money back and before
 * the change committed. The Payment service, in the test's process, outlives it and remembers
 * keys as a provider does. The retry of the same request sends the same key: the money went back
 * once, and the ledger holds one refund.
 */
describe("a refund whose order service dies between the Payment service's answer and the commit", () => {
  let stack: Awaited<ReturnType<typeof startServiceStack>>;
  let payments: Awaited<ReturnType<typeof startRecordingPaymentServer>>;
  let killNext = false;

  beforeAll(async () => {
    payments = await startRecordingPaymentServer(async () => {
      if (!killNext) return;
      killNext = false;
      await stack.service!.kill("SIGKILL");
    });
    stack = await startServiceStack({ PAYMENT_SERVICE_URL: payments.url, DEPENDENCY_RETRIES: "0" });
    await stack.startService();
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    payments?.stop();
  });

  /** Calls until the service answers, restarting it when it is down: what a client retrying its request id sees. */
  async function untilAnswered<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const code = (error as grpc.ServiceError).code;
        if (attempt > 20 || ![grpc.status.UNAVAILABLE, grpc.status.CANCELLED, grpc.status.DEADLINE_EXCEEDED].includes(code)) throw error;
        const dead = stack.service?.child.exitCode !== null || stack.service.child.signalCode !== null;
        if (dead) await stack.startService();
        else await sleep(200);
      }
    }
  }

  async function paidOrder(): Promise<string> {
    const orders = stack.client(OrderService);
    const placing = createOrderRequest({ userId: "crash-buyer" });
    const { order } = await untilAnswered(() => unary<Answer>(orders, "createOrder", placing));
    const paying = { requestId: randomUUID(), orderId: order.id, paymentMethod: createOrderRequest().paymentMethod };
    await untilAnswered(() => unary(orders, "payOrder", paying));
    return order.id;
  }

  const refundRows = (orderId: string) =>
    query<{ idempotency_key: string; amount_minor: string }>(
      stack.databaseUrl,
      `select idempotency_key, amount_minor::text from order_ledger_entries where order_id = $1 and kind = 'REFUND'`,
      [orderId],
    );

  it("when staff's goodwill refund is cut off by the kill, then its retry refunds once, under the same key", async () => {
    const orderId = await paidOrder();
    const request = {
      requestId: randomUUID(),
      orderId,
      cause: RefundCause.GOODWILL,
      amount: { currencyCode: "USD", amountMinor: 500n },
      reason: "late",
    };
    killNext = true;
    const answer = await untilAnswered(() =>
      unary<Answer>(stack.client(OrderLedgerService), "issueRefund", request, { deadline: Date.now() + 5_000 }),
    );
    const key = `refund:${orderId}:${request.requestId}`;
    expect(payments.refunds.calls.filter((called) => called === key)).toHaveLength(2);
    expect([...payments.refunds.moves].filter((moved) => moved === key)).toHaveLength(1);
    expect(String(answer.order.balance.refunded.amountMinor)).toBe("500");
    expect(await refundRows(orderId)).toEqual([{ idempotency_key: key, amount_minor: "500" }]);
  }, 120_000);

  it("when a cancel's refund is cut off by the kill, then the retry refunds the order once", async () => {
    const orderId = await paidOrder();
    const request = { requestId: randomUUID(), orderId, reason: "changed my mind" };
    killNext = true;
    await untilAnswered(() => unary(stack.client(OrderService), "cancelOrder", request, { deadline: Date.now() + 5_000 }));
    const key = `refund:${orderId}`;
    expect(payments.refunds.calls.filter((called) => called === key)).toHaveLength(2);
    const rows = await refundRows(orderId);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.idempotency_key).toBe(key);
  }, 120_000);
});

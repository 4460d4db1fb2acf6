import { randomUUID } from "node:crypto";
import { Code, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { LedgerEntryKind, LedgerEntryState, OrderLedgerService, RefundCause } from "../../gen/shop/order/v1/ledger_pb.js";
import { OrderService, OrderStatus, PaymentStatus, type Order } from "../../gen/shop/order/v1/order_pb.js";
import { TEST_TOKENS } from "../../src/payments/reference/reference-payments.js";
import { eventTypes, query } from "../support/db.js";
import { failure, reasonOf } from "../support/errors.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { sellerToken, token } from "../support/tokens.js";

const rid = () => randomUUID();
const usd = (amountMinor: bigint) => ({ currencyCode: "USD", amountMinor });
const card = { method: { case: "card" as const, value: { paymentToken: "tok_visa_ok", brand: "VISA", last4: "4242" } } };
const minor = (money: { amountMinor: bigint } | undefined) => money?.amountMinor;

describe("the money ledger: payments and refunds as rows, the order's balance from them", () => {
  let app: TestApp;
  let orders: Client<typeof OrderService>;
  let ledger: Client<typeof OrderLedgerService>;
  let customerLedger: Client<typeof OrderLedgerService>;
  beforeAll(async () => {
    app = await startTestApp();
    orders = app.connect(OrderService);
    ledger = app.connect(OrderLedgerService);
    customerLedger = app.connect(OrderLedgerService, await token("ledger-buyer"));
  });
  afterAll(() => app?.stop());

  const paidOrder = async (overrides = {}): Promise<Order> => {
    const placed = (await orders.createOrder(createOrderRequest({ userId: "ledger-buyer", ...overrides }))).order!;
    return (await orders.payOrder({ requestId: rid(), orderId: placed.id, paymentMethod: card })).order!;
  };
  const goodwill = (order: Order, amountMinor: bigint, requestId = rid()) =>
    ledger.issueRefund({ requestId, orderId: order.id, cause: RefundCause.GOODWILL, amount: usd(amountMinor), reason: "late" });

  /** The ledger's rows summed by kind, and the order's running sums: they must agree. */
  async function sums(orderId: string) {
    const rows = await query<{ kind: string; total: string }>(
      app.databaseUrl,
      `select kind, sum(amount_minor)::text as total from order_ledger_entries where order_id = $1 and state = 'SUCCEEDED' group by kind`,
      [orderId],
    );
    const [order] = await query<{ authorized: string; captured: string; refunded: string }>(
      app.databaseUrl,
      `select authorized_minor::text as authorized, captured_minor::text as captured, refunded_minor::text as refunded from orders where id = $1`,
      [orderId],
    );
    const of = (kind: string) => rows.find((row) => row.kind === kind)?.total ?? "0";
    return { ledger: { authorized: of("AUTHORIZATION"), captured: of("CAPTURE"), refunded: of("REFUND") }, order };
  }

  it("when an order is paid, then the authorization and the capture are rows with their keys, and nothing is outstanding", async () => {
    const order = await paidOrder();
    const total = minor(order.total)!;
    expect(order.balance).toMatchObject({
      authorized: usd(total),
      captured: usd(total),
      refunded: usd(0n),
      currentTotal: usd(total),
      outstanding: usd(0n),
    });
    const { entries } = await ledger.listLedgerEntries({ orderId: order.id });
    expect(entries.map((e) => [e.position, LedgerEntryKind[e.kind], LedgerEntryState[e.state], minor(e.amount)])).toEqual([
      [1, "AUTHORIZATION", "SUCCEEDED", total],
      [2, "CAPTURE", "SUCCEEDED", total],
    ]);
    expect(entries[1]!.reference).toBe(order.payment!.transactionId);
    expect(entries[1]!.parentReference).toBe(entries[0]!.reference);
    expect(entries[1]!.idempotencyKey).toBe(`capture:${entries[0]!.idempotencyKey}`);
    expect(await eventTypes(app.databaseUrl, order.id)).toContain("PaymentCaptured");
  });

  it("when a card is declined, then the attempt is a FAILED authorization row with the decline code", async () => {
    const placed = (await orders.createOrder(createOrderRequest({ userId: "ledger-buyer" }))).order!;
    const declined = { method: { case: "card" as const, value: { paymentToken: TEST_TOKENS.declined, brand: "VISA", last4: "0002" } } };
    await failure(orders.payOrder({ requestId: rid(), orderId: placed.id, paymentMethod: declined }));
    const { entries, balance } = await ledger.listLedgerEntries({ orderId: placed.id });
    expect(entries).toMatchObject([{ kind: LedgerEntryKind.AUTHORIZATION, state: LedgerEntryState.FAILED, failureCode: "card_declined" }]);
    expect(balance).toMatchObject({ captured: usd(0n), outstanding: placed.total });
  });

  it("when staff give goodwill, then it is refunded at once, the order costs that much less, and nothing becomes owed", async () => {
    const order = await paidOrder();
    const total = minor(order.total)!;
    const { order: after, entry } = await goodwill(order, 500n);
    expect(entry).toMatchObject({ kind: LedgerEntryKind.REFUND, refundCause: RefundCause.GOODWILL, amount: usd(500n), reason: "late" });
    expect(entry!.reference).toMatch(/^re_/);
    expect(entry!.breakdown).toMatchObject({ lines: [], shipping: usd(0n), tax: usd(0n), other: usd(500n) });
    expect(after!.balance).toMatchObject({ refunded: usd(500n), currentTotal: usd(total - 500n), outstanding: usd(0n) });
    expect(after!.payment!.status).toBe(PaymentStatus.CAPTURED);
    expect(await eventTypes(app.databaseUrl, order.id)).toContain("RefundIssued");
  });

  it("when a refund is retried with its request id, then the money goes back once and the answer is the first one", async () => {
    const order = await paidOrder();
    const requestId = rid();
    const answers = await Promise.all(Array.from({ length: 5 }, () => goodwill(order, 300n, requestId)));
    expect(new Set(answers.map((a) => a.entry!.id)).size).toBe(1);
    const { entries, balance } = await ledger.listLedgerEntries({ orderId: order.id });
    expect(entries.filter((e) => e.kind === LedgerEntryKind.REFUND)).toHaveLength(1);
    expect(balance!.refunded).toMatchObject(usd(300n));
  });

  it("when a refund would go above captured less refunded, then FAILED_PRECONDITION names the limit and nothing is written", async () => {
    const order = await paidOrder();
    const total = minor(order.total)!;
    await goodwill(order, 1000n);
    const error = await failure(goodwill(order, total - 999n));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(reasonOf(error)).toBe("REFUND_EXCEEDS_CAPTURED");
    expect(error.rawMessage).toContain(`at most ${total - 1000n}`);
    await goodwill(order, total - 1000n);
    expect(reasonOf(await failure(goodwill(order, 1n)))).toBe("NOTHING_TO_REFUND");
    const { ledger: rows, order: sums_ } = await sums(order.id);
    expect(rows).toEqual({ authorized: String(total), captured: String(total), refunded: String(total) });
    expect(sums_).toEqual(rows);
    expect((await orders.getOrder({ orderId: order.id })).order!.payment!.status).toBe(PaymentStatus.REFUNDED);
  });

  it("when shipping is refunded, then exactly the shipping not yet refunded goes back, once", async () => {
    // One mug: below the free-shipping threshold.
    const order = await paidOrder({ items: [{ productId: "prod-mug", quantity: 1 }] });
    const shipping = minor(order.shipping)!;
    expect(shipping).toBeGreaterThan(0n);
    const refund = () => ledger.issueRefund({ requestId: rid(), orderId: order.id, cause: RefundCause.SHIPPING, reason: "late" });
    const { order: after, entry } = await refund();
    expect(entry).toMatchObject({ amount: usd(shipping), breakdown: { shipping: usd(shipping), other: usd(0n) } });
    expect(after!.balance).toMatchObject({ refundedShipping: usd(shipping), outstanding: usd(0n) });
    expect(reasonOf(await failure(refund()))).toBe("NOTHING_TO_REFUND");
  });

  it("when an order with goodwill given is cancelled, then what is left of the capture goes back, netting the goodwill out", async () => {
    const order = await paidOrder();
    const total = minor(order.total)!;
    await goodwill(order, 700n);
    const cancelled = (await orders.cancelOrder({ requestId: rid(), orderId: order.id, reason: "changed my mind" })).order!;
    expect(cancelled.status).toBe(OrderStatus.CANCELLED);
    expect(cancelled.balance).toMatchObject({ refunded: usd(total), currentTotal: usd(0n), outstanding: usd(0n) });
    expect(cancelled.items.every((item) => item.refundedQuantity === item.quantity)).toBe(true);
    const lines = cancelled.items.reduce((sum, item) => sum + minor(item.refundedAmount)!, 0n);
    expect(lines).toBe(minor(order.subtotal)! + minor(order.tax)!);
    const { entries } = await ledger.listLedgerEntries({ orderId: order.id });
    const whole = entries.at(-1)!;
    expect(whole).toMatchObject({ refundCause: RefundCause.ORDER, amount: usd(total - 700n), idempotencyKey: `refund:${order.id}` });
    expect(whole.breakdown).toMatchObject({ other: usd(-700n), tax: order.tax, shipping: order.shipping });
  });

  it("when an unpaid order is cancelled, then no money moves and it costs nothing", async () => {
    const placed = (await orders.createOrder(createOrderRequest({ userId: "ledger-buyer" }))).order!;
    expect(placed.balance).toMatchObject({ captured: usd(0n), outstanding: placed.total });
    const cancelled = (await orders.cancelOrder({ requestId: rid(), orderId: placed.id, reason: "no" })).order!;
    expect(cancelled.balance).toMatchObject({ refunded: usd(0n), currentTotal: usd(0n), outstanding: usd(0n) });
    expect((await ledger.listLedgerEntries({ orderId: placed.id })).entries).toEqual([]);
    expect(reasonOf(await failure(goodwill(placed, 100n)))).toBe("NOTHING_TO_REFUND");
  });

  it("when a customer reads its own ledger, then it sees the amounts and causes but not the provider's ids, keys or staff's words", async () => {
    const order = await paidOrder();
    await goodwill(order, 100n);
    const { entries, balance } = await customerLedger.listLedgerEntries({ orderId: order.id });
    expect(entries).toHaveLength(3);
    for (const entry of entries)
      expect(entry).toMatchObject({ reference: "", parentReference: "", idempotencyKey: "", actor: "", reason: "" });
    expect(entries[2]).toMatchObject({ refundCause: RefundCause.GOODWILL, amount: usd(100n) });
    expect(balance!.refunded).toMatchObject(usd(100n));
  });

  it("when a customer reads another customer's ledger, then NOT_FOUND; a seller may not read ledgers at all", async () => {
    const order = await paidOrder();
    const stranger = app.connect(OrderLedgerService, await token("someone-else"));
    expect((await failure(stranger.listLedgerEntries({ orderId: order.id }))).code).toBe(Code.NotFound);
    const seller = app.connect(OrderLedgerService, await sellerToken("north-clerk", "seller-north"));
    expect((await failure(seller.listLedgerEntries({ orderId: order.id }))).code).toBe(Code.PermissionDenied);
  });

  it("when a customer tries to refund itself, then PERMISSION_DENIED and nothing moves", async () => {
    const order = await paidOrder();
    const error = await failure(
      customerLedger.issueRefund({ requestId: rid(), orderId: order.id, cause: RefundCause.GOODWILL, amount: usd(100n), reason: "me" }),
    );
    expect(error.code).toBe(Code.PermissionDenied);
    expect((await ledger.listLedgerEntries({ orderId: order.id })).balance!.refunded).toMatchObject(usd(0n));
  });

  it("when a refund request is malformed, then INVALID_ARGUMENT names every field", async () => {
    const order = await paidOrder();
    const error = await failure(
      ledger.issueRefund({
        requestId: "",
        orderId: order.id,
        cause: RefundCause.RETURN,
        amount: { currencyCode: "EUR", amountMinor: -5n },
        reason: "",
      }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    const fields = error.findDetails(BadRequestSchema)[0]!.fieldViolations.map((v) => v.field);
    expect(fields).toEqual(expect.arrayContaining(["request_id", "cause", "amount.currency_code", "amount.amount_minor", "reason"]));
    const noAmount = await failure(ledger.issueRefund({ requestId: rid(), orderId: order.id, cause: RefundCause.GOODWILL, reason: "x" }));
    expect(noAmount.findDetails(BadRequestSchema)[0]!.fieldViolations.map((v) => v.field)).toEqual(["amount"]);
  });
});

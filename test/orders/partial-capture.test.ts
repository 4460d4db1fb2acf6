import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderChangeService, OrderChangeStatus, OrderChangeType } from "../../gen/shop/order/v1/changes_pb.js";
import { FulfillmentOrderStatus, FulfillmentService, HoldReason } from "../../gen/shop/order/v1/fulfillment_pb.js";
import { LedgerEntryKind, OrderLedgerService, RefundCause } from "../../gen/shop/order/v1/ledger_pb.js";
import { OrderService, OrderStatus, PaymentStatus, type Order } from "../../gen/shop/order/v1/order_pb.js";
import { eventTypes, query, setStockAt } from "../support/db.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTestApp } from "../support/test-app.js";

const rid = () => randomUUID();
const usd = (amountMinor: bigint) => ({ currencyCode: "USD", amountMinor });
const card = { method: { case: "card" as const, value: { paymentToken: "tok_visa_ok", brand: "VISA", last4: "4242" } } };
const minor = (money: { amountMinor: bigint } | undefined) => money?.amountMinor;

/**
 * Partial capture. The notebook is 10.00 here: two cost 20.00 + 8% tax (1.60) + 5.99 shipping =
 * 27.59, a unit with its tax 10.80.
 */
async function stack(env: Record<string, string>) {
  const app = await startTestApp({ PRODUCT_CACHE_TTL_MS: "0", ...env });
  await query(app.databaseUrl, `update catalog_products set price_minor = 1000 where id = 'prod-notebook'`);
  await setStockAt(app.databaseUrl, "prod-notebook", { "north-east": 100 });
  const orders = app.connect(OrderService);
  const fulfilment = app.connect(FulfillmentService);
  const ledger = app.connect(OrderLedgerService);
  const changes = app.connect(OrderChangeService);
  const place = async (quantity: number) =>
    (await orders.createOrder(createOrderRequest({ userId: "capture-buyer", items: [{ productId: "prod-notebook", quantity }] }))).order!;
  const pay = async (order: Order) => (await orders.payOrder({ requestId: rid(), orderId: order.id, paymentMethod: card })).order!;
  /** `quantity` units of the order's one line handed to the carrier. */
  const ship = async (order: Order, quantity: number) => {
    const { fulfillmentOrders } = await fulfilment.listFulfillmentOrders({ orderId: order.id });
    const fo = fulfillmentOrders.find((candidate) => candidate.status !== FulfillmentOrderStatus.CANCELLED)!;
    await fulfilment.createShipment({
      requestId: rid(),
      fulfillmentOrderId: fo.id,
      lines: [{ lineId: fo.lines[0]!.id, quantity }],
      carrier: "UPS",
      trackingNumber: `T${rid().slice(0, 8)}`,
      handedOver: true,
    });
    return (await orders.getOrder({ orderId: order.id })).order!;
  };
  const rows = async (order: Order) =>
    (await ledger.listLedgerEntries({ orderId: order.id })).entries.map((e) => [LedgerEntryKind[e.kind], minor(e.amount)]);
  return { app, orders, fulfilment, ledger, changes, place, pay, ship, rows };
}

describe("CAPTURE_ON=shipment: the money follows the parcels", () => {
  let s: Awaited<ReturnType<typeof stack>>;
  beforeAll(async () => {
    s = await stack({ CAPTURE_ON: "shipment" });
  });
  afterAll(() => s?.app.stop());

  it("when paid, then the total is authorized, nothing captured, and fulfilment is free to ship", async () => {
    const paid = await s.pay(await s.place(2));
    expect(paid.status).toBe(OrderStatus.PAID);
    expect(paid.payment?.status).toBe(PaymentStatus.AUTHORIZED);
    expect(paid.balance).toMatchObject({ authorized: usd(2759n), captured: usd(0n), due: usd(0n), outstanding: usd(2759n) });
    const { fulfillmentOrders } = await s.fulfilment.listFulfillmentOrders({ orderId: paid.id });
    expect(fulfillmentOrders.flatMap((fo) => fo.holds.filter((hold) => !hold.releaseTime))).toEqual([]);
  });

  it("when one unit leaves, then it is captured with shipping; when the other leaves, the rest, and no more", async () => {
    const paid = await s.pay(await s.place(2));
    const first = await s.ship(paid, 1);
    expect(first.balance).toMatchObject({ captured: usd(1080n + 599n) });
    expect(first.payment?.status).toBe(PaymentStatus.CAPTURED);
    const all = await s.ship(paid, 1);
    expect(all.status).toBe(OrderStatus.SHIPPED);
    expect(all.balance).toMatchObject({ captured: usd(2759n), voided: usd(0n), outstanding: usd(0n) });
    expect(await s.rows(paid)).toEqual([
      ["AUTHORIZATION", 2759n],
      ["CAPTURE", 1679n],
      ["CAPTURE", 1080n],
    ]);
    expect((await eventTypes(s.app.databaseUrl, paid.id)).filter((type) => type === "PaymentCaptured")).toHaveLength(2);
  });

  it("when an edit lowered the total, then the authorization is kept, only the new total captured, and the rest released", async () => {
    const paid = await s.pay(await s.place(3));
    const item = paid.items[0]!;
    const edited = (await s.orders.updateOrderItemQuantity({ requestId: rid(), orderId: paid.id, itemId: item.id, quantity: 2 })).order!;
    expect(edited.balance).toMatchObject({ authorized: usd(3839n), captured: usd(0n), refunded: usd(0n) });
    const shipped = await s.ship(edited, 2);
    expect(shipped.balance).toMatchObject({ captured: usd(2759n), voided: usd(1080n), outstanding: usd(0n), due: usd(0n) });
    expect(await s.rows(paid)).toEqual([
      ["AUTHORIZATION", 3839n],
      ["CAPTURE", 2759n],
      ["VOID", 1080n],
    ]);
    expect(await eventTypes(s.app.databaseUrl, paid.id)).toContain("AuthorizationAdjusted");
  });

  it("when an authorized order is cancelled, then the authorization is released and nothing refunded", async () => {
    const paid = await s.pay(await s.place(1));
    const cancelled = (await s.orders.cancelOrder({ requestId: rid(), orderId: paid.id, reason: "changed my mind" })).order!;
    expect(cancelled.balance).toMatchObject({ captured: usd(0n), refunded: usd(0n), voided: usd(1679n) });
    expect(await s.rows(paid)).toEqual([
      ["AUTHORIZATION", 1679n],
      ["VOID", 1679n],
    ]);
  });
});

describe("CAPTURE_ON=payment: edits of a paid order, as EDIT changes", () => {
  let s: Awaited<ReturnType<typeof stack>>;
  beforeAll(async () => {
    s = await stack({ CAPTURE_ON: "payment" });
  });
  afterAll(() => s?.app.stop());

  it("when an edit raises a paid order's total, then fulfilment waits AWAITING_PAYMENT for the difference, which PayOrder authorizes and captures", async () => {
    const paid = await s.pay(await s.place(1));
    const item = paid.items[0]!;
    const edited = (await s.orders.updateOrderItemQuantity({ requestId: rid(), orderId: paid.id, itemId: item.id, quantity: 2 })).order!;
    expect(edited.balance).toMatchObject({ captured: usd(1679n), due: usd(1080n) });
    const held = async () =>
      (await s.fulfilment.listFulfillmentOrders({ orderId: paid.id })).fulfillmentOrders
        .filter((fo) => fo.status !== FulfillmentOrderStatus.CANCELLED)
        .flatMap((fo) => fo.holds.filter((hold) => !hold.releaseTime).map((hold) => hold.reason));
    expect(await held()).toEqual([HoldReason.AWAITING_PAYMENT]);
    const settled = await s.pay(edited);
    expect(settled.balance).toMatchObject({ authorized: usd(2759n), captured: usd(2759n), due: usd(0n), outstanding: usd(0n) });
    expect(await held()).toEqual([]);
    expect(await s.rows(paid)).toEqual([
      ["AUTHORIZATION", 1679n],
      ["CAPTURE", 1679n],
      ["AUTHORIZATION", 1080n],
      ["CAPTURE", 1080n],
    ]);
    const { changes } = await s.changes.listOrderChanges({ orderId: paid.id });
    expect(changes.map((change) => [OrderChangeType[change.type], OrderChangeStatus[change.status]])).toEqual([["EDIT", "CONFIRMED"]]);
    expect(changes[0]!.actions[0]!.action).toMatchObject({
      case: "editItem",
      value: { itemId: item.id, previousQuantity: 1, quantity: 2 },
    });
    expect(changes[0]!.lines).toMatchObject([{ quantity: 1, amount: usd(1080n), tax: usd(80n) }]);
  });

  it("when an edit lowers a paid order's total, then the difference is refunded once as BALANCE, and the whole refund later gives back the rest", async () => {
    const paid = await s.pay(await s.place(3));
    const item = paid.items[0]!;
    const edited = (await s.orders.updateOrderItemQuantity({ requestId: rid(), orderId: paid.id, itemId: item.id, quantity: 1 })).order!;
    expect(edited.balance).toMatchObject({ captured: usd(3839n), refunded: usd(2160n), outstanding: usd(0n), due: usd(0n) });
    const { entries } = await s.ledger.listLedgerEntries({ orderId: paid.id });
    expect(entries.map((e) => [LedgerEntryKind[e.kind], minor(e.amount), RefundCause[e.refundCause]])).toEqual([
      ["AUTHORIZATION", 3839n, "UNSPECIFIED"],
      ["CAPTURE", 3839n, "UNSPECIFIED"],
      ["REFUND", 2160n, "BALANCE"],
    ]);
    const refunded = (await s.orders.refundOrder({ requestId: rid(), orderId: paid.id, reason: "broken" })).order!;
    expect(refunded.balance).toMatchObject({ refunded: usd(3839n), outstanding: usd(0n) });
    const { changes } = await s.changes.listOrderChanges({ orderId: paid.id });
    expect(changes[0]!.lines).toMatchObject([{ quantity: -2, amount: usd(-2160n), tax: usd(-160n) }]);
  });
});

import { randomUUID } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ClaimReason,
  OrderChangeService,
  OrderChangeStatus,
  OrderChangeType,
  ReturnReason,
  ReturnStatus,
  type ChangeAction,
} from "../../gen/shop/order/v1/changes_pb.js";
import { FulfillmentOrderStatus, FulfillmentService, HoldReason } from "../../gen/shop/order/v1/fulfillment_pb.js";
import { LedgerEntryKind, OrderLedgerService, RefundCause } from "../../gen/shop/order/v1/ledger_pb.js";
import { OrderService, OrderStatus, type Order } from "../../gen/shop/order/v1/order_pb.js";
import { eventTypes, setStockAt, stockAt } from "../support/db.js";
import { failure, reasonOf } from "../support/errors.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTestApp } from "../support/test-app.js";
import { token } from "../support/tokens.js";

const rid = () => randomUUID();
const usd = (amountMinor: bigint) => ({ currencyCode: "USD", amountMinor });
const card = { method: { case: "card" as const, value: { paymentToken: "tok_visa_ok", brand: "VISA", last4: "4242" } } };
const BUYER = "exchange-buyer";
const returning = (itemId: string, quantity = 1): ChangeAction =>
  ({ action: { case: "returnItem", value: { itemId, quantity, reason: ReturnReason.WRONG_SIZE, note: "" } } }) as ChangeAction;
const adding = (variantId: string, quantity = 1, productId = "prod-hoodie"): ChangeAction =>
  ({ action: { case: "addItem", value: { productId, variantId, quantity } } }) as ChangeAction;

/**
 * Exchanges of the reference catalog's hoodie (sold by size): S grey and M grey cost 54.00, L navy
 * 59.00; 8% tax, and shipping is free above 50.00. One S bought: 54.00 + 4.32 = 58.32; one L:
 * 59.00 + 4.72 = 63.72. Swapping one for the other is a difference of 5.40 either way.
 */
async function stack(env: Record<string, string> = {}) {
  const app = await startTestApp({ PRODUCT_CACHE_TTL_MS: "0", ...env });
  for (const variant of ["hoodie-s-grey", "hoodie-m-grey", "hoodie-l-navy"])
    await setStockAt(app.databaseUrl, "prod-hoodie", { "north-east": 20 }, variant);
  const orders = app.connect(OrderService);
  const fulfilment = app.connect(FulfillmentService);
  const changes = app.connect(OrderChangeService);
  const ledger = app.connect(OrderLedgerService);
  const buyer = app.connect(OrderChangeService, await token(BUYER));

  const liveFulfilment = async (orderId: string) =>
    (await fulfilment.listFulfillmentOrders({ orderId })).fulfillmentOrders.filter((fo) => fo.status !== FulfillmentOrderStatus.CANCELLED);
  /** Ships every unit of the fulfilment orders carrying `itemId`. */
  const shipItem = async (orderId: string, itemId: string) => {
    for (const fo of await liveFulfilment(orderId)) {
      const lines = fo.lines.filter((line) => line.orderItemId === itemId && line.remainingQuantity > 0);
      if (!lines.length) continue;
      await fulfilment.createShipment({
        requestId: rid(),
        fulfillmentOrderId: fo.id,
        lines: lines.map((line) => ({ lineId: line.id, quantity: line.remainingQuantity })),
        carrier: "UPS",
        trackingNumber: `T${rid().slice(0, 8)}`,
        handedOver: true,
      });
    }
    return (await orders.getOrder({ orderId })).order!;
  };
  /** A paid, shipped order of one hoodie of `variantId`. */
  const shippedHoodie = async (variantId: string): Promise<Order> => {
    const request = createOrderRequest({ userId: BUYER, items: [{ productId: "prod-hoodie", variantId, quantity: 1 }] });
    const placed = (await orders.createOrder(request)).order!;
    await orders.payOrder({ requestId: rid(), orderId: placed.id, paymentMethod: card });
    const shipped = await shipItem(placed.id, placed.items[0]!.id);
    expect(shipped.status).toBe(OrderStatus.SHIPPED);
    return shipped;
  };
  const rows = async (orderId: string) =>
    (await ledger.listLedgerEntries({ orderId })).entries.map((e) => [
      LedgerEntryKind[e.kind],
      e.amount?.amountMinor,
      RefundCause[e.refundCause],
    ]);
  return { app, orders, fulfilment, changes, ledger, buyer, liveFulfilment, shipItem, shippedHoodie, rows };
}

describe("exchanges: shipped units back for new items, the difference paid or refunded once", () => {
  let s: Awaited<ReturnType<typeof stack>>;
  beforeAll(async () => {
    s = await stack();
  });
  afterAll(() => s?.app.stop());

  it("when a customer swaps an S for a dearer L, then the difference is authorized before the L ships, and nothing is refunded", async () => {
    const order = await s.shippedHoodie("hoodie-s-grey");
    const small = order.items[0]!;
    const asked = await s.buyer.createOrderChange({
      requestId: rid(),
      orderId: order.id,
      type: OrderChangeType.EXCHANGE,
      actions: [returning(small.id), adding("hoodie-l-navy")],
    });
    expect(asked.change).toMatchObject({ status: OrderChangeStatus.REQUESTED, returnStatus: ReturnStatus.REQUESTED });
    expect(asked.change!.actions[1]!.action).toMatchObject({
      case: "addItem",
      value: { productId: "prod-hoodie", variantId: "hoodie-l-navy", unitPrice: usd(5900n), sku: "HOOD-001-L-NVY" },
    });
    expect(asked.preview).toMatchObject({ refundTotal: usd(5832n), costTotal: usd(6372n), differenceDue: usd(540n) });

    const expectedVersion = asked.preview!.order!.version;
    const confirmed = await s.changes.confirmOrderChange({ requestId: rid(), changeId: asked.change!.id, expectedVersion });
    const large = confirmed.order!.items.find((item) => item.variantId === "hoodie-l-navy")!;
    expect(confirmed.order).toMatchObject({ status: OrderStatus.SHIPPED, total: usd(5832n + 6372n) });
    expect(confirmed.order!.balance).toMatchObject({ captured: usd(5832n), outstanding: usd(540n), due: usd(540n) });
    expect(confirmed.change!.lines).toMatchObject([
      { action: 0, itemId: small.id, quantity: 1, amount: usd(-5832n), tax: usd(-432n) },
      { action: 1, itemId: large.id, quantity: 1, amount: usd(6372n), tax: usd(472n) },
    ]);

    // The L waits for the money: its fulfilment order is held, and no parcel of it may leave.
    const waiting = (await s.liveFulfilment(order.id)).filter((fo) => fo.lines.some((line) => line.orderItemId === large.id));
    expect(waiting.flatMap((fo) => fo.holds.filter((hold) => !hold.releaseTime).map((hold) => hold.reason))).toEqual([
      HoldReason.AWAITING_PAYMENT,
    ]);
    expect((await stockAt(s.app.databaseUrl, "prod-hoodie", "hoodie-l-navy"))["north-east"]).toEqual({ available: 19, reserved: 1 });
    const early = await failure(s.shipItem(order.id, large.id));
    expect(early.code).toBe(Code.FailedPrecondition);

    const paid = (await s.orders.payOrder({ requestId: rid(), orderId: order.id, paymentMethod: card })).order!;
    expect(paid.balance).toMatchObject({ captured: usd(5832n + 540n), outstanding: usd(0n), due: usd(0n) });
    const sent = await s.shipItem(order.id, large.id);
    expect(sent.items.find((item) => item.id === large.id)).toMatchObject({ shippedQuantity: 1 });

    const received = await s.changes.receiveReturn({
      requestId: rid(),
      changeId: asked.change!.id,
      locationId: "north-east",
      lines: [{ itemId: small.id, goodQuantity: 1 }],
    });
    expect(received.change!.returnStatus).toBe(ReturnStatus.RECEIVED);
    expect(received.order!.balance).toMatchObject({ refunded: usd(0n), outstanding: usd(0n) });
    expect((await stockAt(s.app.databaseUrl, "prod-hoodie", "hoodie-s-grey"))["north-east"]).toMatchObject({ available: 20 });
    expect(await s.rows(order.id)).toEqual([
      ["AUTHORIZATION", 5832n, "UNSPECIFIED"],
      ["CAPTURE", 5832n, "UNSPECIFIED"],
      ["AUTHORIZATION", 540n, "UNSPECIFIED"],
      ["CAPTURE", 540n, "UNSPECIFIED"],
    ]);
    expect(await eventTypes(s.app.databaseUrl, order.id)).toEqual(
      expect.arrayContaining(["OrderChangeRequested", "OrderChangeConfirmed", "AuthorizationAdjusted", "ReturnReceived"]),
    );
  });

  it("when staff swap an L for a cheaper M, then the M ships at once and the difference is refunded once, when the L arrives", async () => {
    const order = await s.shippedHoodie("hoodie-l-navy");
    const large = order.items[0]!;
    const made = await s.changes.createOrderChange({
      requestId: rid(),
      orderId: order.id,
      type: OrderChangeType.EXCHANGE,
      actions: [returning(large.id), adding("hoodie-m-grey")],
    });
    expect(made.preview).toMatchObject({ refundTotal: usd(6372n), costTotal: usd(5832n), differenceDue: usd(-540n) });
    const expectedVersion = made.preview!.order!.version;
    const confirmed = await s.changes.confirmOrderChange({ requestId: rid(), changeId: made.change!.id, expectedVersion });
    expect(confirmed.order!.balance).toMatchObject({ captured: usd(6372n), refunded: usd(0n), outstanding: usd(-540n), due: usd(-540n) });
    const medium = confirmed.order!.items.find((item) => item.variantId === "hoodie-m-grey")!;
    const free = (await s.liveFulfilment(order.id)).filter((fo) => fo.lines.some((line) => line.orderItemId === medium.id));
    expect(free.flatMap((fo) => fo.holds.filter((hold) => !hold.releaseTime))).toEqual([]);
    await s.shipItem(order.id, medium.id);

    const receipt = {
      requestId: rid(),
      changeId: made.change!.id,
      locationId: "north-east",
      lines: [{ itemId: large.id, goodQuantity: 1 }],
    };
    const received = await s.changes.receiveReturn(receipt);
    expect(received.order!.balance).toMatchObject({ refunded: usd(540n), outstanding: usd(0n) });
    // The same request again answers as before; a second receipt is refused: one refund.
    expect((await s.changes.receiveReturn(receipt)).order!.balance).toMatchObject({ refunded: usd(540n) });
    const again = await failure(s.changes.receiveReturn({ ...receipt, requestId: rid() }));
    expect(reasonOf(again)).toBe("RETURN_NOT_AWAITED");
    expect(await s.rows(order.id)).toEqual([
      ["AUTHORIZATION", 6372n, "UNSPECIFIED"],
      ["CAPTURE", 6372n, "UNSPECIFIED"],
      ["REFUND", 540n, "BALANCE"],
    ]);
  });

  it("when staff make a claim with a replacement, then the same item goes out again free, nothing is refunded, and the total stands", async () => {
    const order = await s.shippedHoodie("hoodie-m-grey");
    const medium = order.items[0]!;
    const before = (await stockAt(s.app.databaseUrl, "prod-hoodie", "hoodie-m-grey"))["north-east"]!;
    const claim = {
      action: { case: "claimItem", value: { itemId: medium.id, quantity: 1, reason: ClaimReason.DEFECTIVE, replace: true } },
    } as ChangeAction;
    const made = await s.changes.createOrderChange({ requestId: rid(), orderId: order.id, type: OrderChangeType.CLAIM, actions: [claim] });
    const { replacementItemId } = made.change!.actions[0]!.action.value as { replacementItemId: string };
    expect(replacementItemId).toMatch(/^[0-9a-f-]{36}$/);
    expect(made.preview).toMatchObject({ refundTotal: usd(0n), differenceDue: usd(0n) });
    expect(made.preview!.lines).toMatchObject([{ itemId: replacementItemId, quantity: 1, amount: usd(0n) }]);
    const expectedVersion = made.preview!.order!.version;
    const confirmed = await s.changes.confirmOrderChange({ requestId: rid(), changeId: made.change!.id, expectedVersion });
    expect(confirmed.order).toMatchObject({ status: OrderStatus.SHIPPED, total: usd(5832n) });
    expect(confirmed.order!.balance).toMatchObject({ refunded: usd(0n), outstanding: usd(0n), due: usd(0n) });
    expect(confirmed.order!.items.find((item) => item.id === replacementItemId)).toMatchObject({
      variantId: "hoodie-m-grey",
      quantity: 1,
      unitPrice: usd(0n),
    });
    expect((await stockAt(s.app.databaseUrl, "prod-hoodie", "hoodie-m-grey"))["north-east"]).toEqual({
      available: before.available - 1,
      reserved: before.reserved + 1,
    });
    const free = (await s.liveFulfilment(order.id)).filter((fo) => fo.lines.some((line) => line.orderItemId === replacementItemId));
    expect(free.flatMap((fo) => fo.holds.filter((hold) => !hold.releaseTime))).toEqual([]);
    const sent = await s.shipItem(order.id, replacementItemId);
    expect(sent.items.find((item) => item.id === replacementItemId)).toMatchObject({ shippedQuantity: 1 });
    expect(await s.rows(order.id)).toEqual([
      ["AUTHORIZATION", 5832n, "UNSPECIFIED"],
      ["CAPTURE", 5832n, "UNSPECIFIED"],
    ]);
    // The claimed unit cannot be claimed again.
    const again = await failure(
      s.changes.createOrderChange({ requestId: rid(), orderId: order.id, type: OrderChangeType.CLAIM, actions: [claim] }),
    );
    expect(again.code).toBe(Code.InvalidArgument);
  });

  it("when an exchange lacks a new item, adds one the order holds, or a customer files a claim, then INVALID_ARGUMENT names the field", async () => {
    const order = await s.shippedHoodie("hoodie-s-grey");
    const small = order.items[0]!;
    const create = (actions: ChangeAction[], client = s.changes, type = OrderChangeType.EXCHANGE) =>
      failure(client.createOrderChange({ requestId: rid(), orderId: order.id, type, actions }));
    const lacking = await create([returning(small.id)]);
    expect(lacking.code).toBe(Code.InvalidArgument);
    expect(lacking.message).toContain("an exchange takes back at least one item");
    const held = await create([returning(small.id), adding("hoodie-s-grey")]);
    expect(held.message).toContain('"prod-hoodie/hoodie-s-grey" is already in the order');
    const retired = await create([returning(small.id), adding("", 1, "prod-retired")]);
    expect(retired.code).toBe(Code.FailedPrecondition);
    const claim = await create([returning(small.id)], s.buyer, OrderChangeType.CLAIM);
    expect(claim.message).toContain("claims are made by staff");
  });
});

describe("exchanges with CAPTURE_ON=shipment: the difference is held until the new item leaves", () => {
  let s: Awaited<ReturnType<typeof stack>>;
  beforeAll(async () => {
    s = await stack({ CAPTURE_ON: "shipment" });
  });
  afterAll(() => s?.app.stop());

  it("when a shipped order's dearer exchange is paid, then the difference stays authorized (not released) and is captured as the L ships", async () => {
    const order = await s.shippedHoodie("hoodie-s-grey");
    expect(order.balance).toMatchObject({ captured: usd(5832n), voided: usd(0n) });
    const made = await s.changes.createOrderChange({
      requestId: rid(),
      orderId: order.id,
      type: OrderChangeType.EXCHANGE,
      actions: [returning(order.items[0]!.id), adding("hoodie-l-navy")],
    });
    const expectedVersion = made.preview!.order!.version;
    const confirmed = await s.changes.confirmOrderChange({ requestId: rid(), changeId: made.change!.id, expectedVersion });
    const large = confirmed.order!.items.find((item) => item.variantId === "hoodie-l-navy")!;
    const paid = (await s.orders.payOrder({ requestId: rid(), orderId: order.id, paymentMethod: card })).order!;
    expect(paid.balance).toMatchObject({ authorized: usd(5832n + 540n), captured: usd(5832n), voided: usd(0n), due: usd(0n) });
    const sent = await s.shipItem(order.id, large.id);
    expect(sent.balance).toMatchObject({ captured: usd(5832n + 540n), voided: usd(0n), outstanding: usd(0n) });
    expect(await s.rows(order.id)).toEqual([
      ["AUTHORIZATION", 5832n, "UNSPECIFIED"],
      ["CAPTURE", 5832n, "UNSPECIFIED"],
      ["AUTHORIZATION", 540n, "UNSPECIFIED"],
      ["CAPTURE", 540n, "UNSPECIFIED"],
    ]);
  });
});

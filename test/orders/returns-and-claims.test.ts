import { randomUUID } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema, PreconditionFailureSchema } from "../../gen/google/rpc/error_details_pb.js";
import {
  ClaimReason,
  OrderChangeService,
  OrderChangeStatus,
  OrderChangeType,
  ReturnReason,
  ReturnStatus,
  type ChangeAction,
} from "../../gen/shop/order/v1/changes_pb.js";
import { FulfillmentService } from "../../gen/shop/order/v1/fulfillment_pb.js";
import { LedgerEntryKind, OrderLedgerService, RefundCause } from "../../gen/shop/order/v1/ledger_pb.js";
import { OrderService, type Order } from "../../gen/shop/order/v1/order_pb.js";
import { eventTypes, query, setStockAt, stockAt } from "../support/db.js";
import { failure, reasonOf } from "../support/errors.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTestApp } from "../support/test-app.js";
import { sellerToken, token } from "../support/tokens.js";

const rid = () => randomUUID();
const usd = (amountMinor: bigint) => ({ currencyCode: "USD", amountMinor });
const card = { method: { case: "card" as const, value: { paymentToken: "tok_visa_ok", brand: "VISA", last4: "4242" } } };
const BUYER = "returns-buyer";
const returning = (itemId: string, quantity: number, reason = ReturnReason.WRONG_SIZE): ChangeAction =>
  ({ action: { case: "returnItem", value: { itemId, quantity, reason, note: "" } } }) as ChangeAction;
const claiming = (itemId: string, quantity: number, reason = ClaimReason.DEFECTIVE): ChangeAction =>
  ({ action: { case: "claimItem", value: { itemId, quantity, reason, note: "" } } }) as ChangeAction;

/**
 * Returns and claims as order changes, on the money ledger. The notebook is priced at 10.00 for
 * these tests, so three of them cost 30.00 + 8% tax (2.40) + 5.99 shipping: a unit paid 10.80.
 */
async function stack(env: Record<string, string> = {}) {
  const app = await startTestApp({ PRODUCT_CACHE_TTL_MS: "0", ...env });
  await query(app.databaseUrl, `update catalog_products set price_minor = 1000 where id = 'prod-notebook'`);
  await setStockAt(app.databaseUrl, "prod-notebook", { "north-east": 100, "north-west": 100 });
  await setStockAt(app.databaseUrl, "prod-socks", { "south-main": 100 });
  const clients = {
    orders: app.connect(OrderService),
    fulfilment: app.connect(FulfillmentService),
    changes: app.connect(OrderChangeService),
    ledger: app.connect(OrderLedgerService),
    buyer: app.connect(OrderChangeService, await token(BUYER)),
    north: app.connect(OrderChangeService, await sellerToken("north-clerk", "seller-north")),
    south: app.connect(OrderChangeService, await sellerToken("south-clerk", "seller-south")),
  };

  /** A paid order of these lines, with `shipped` units of each line handed to the carrier. */
  async function shippedOrder(lines: { productId: string; quantity: number; shipped: number }[]): Promise<Order> {
    const items = lines.map(({ productId, quantity }) => ({ productId, quantity }));
    const placed = (await clients.orders.createOrder(createOrderRequest({ userId: BUYER, items }))).order!;
    await clients.orders.payOrder({ requestId: rid(), orderId: placed.id, paymentMethod: card });
    const { fulfillmentOrders } = await clients.fulfilment.listFulfillmentOrders({ orderId: placed.id });
    for (const fo of fulfillmentOrders) {
      const parcel = fo.lines.flatMap((line) => {
        const shipped = lines.find((each) => each.productId === line.productId)!.shipped;
        return shipped ? [{ lineId: line.id, quantity: shipped }] : [];
      });
      if (!parcel.length) continue;
      await clients.fulfilment.createShipment({
        requestId: rid(),
        fulfillmentOrderId: fo.id,
        lines: parcel,
        carrier: "UPS",
        trackingNumber: `T${Date.now()}`,
        handedOver: true,
      });
    }
    return (await clients.orders.getOrder({ orderId: placed.id })).order!;
  }
  const itemOf = (order: Order, productId: string) => order.items.find((item) => item.productId === productId)!;
  return { app, ...clients, shippedOrder, itemOf };
}

describe("returns and claims as order changes, refunded through the ledger", () => {
  let s: Awaited<ReturnType<typeof stack>>;
  beforeAll(async () => {
    s = await stack();
  });
  afterAll(() => s?.app.stop());

  const ask = (order: Order, actions: ChangeAction[], client = s.buyer, type = OrderChangeType.RETURN) =>
    client.createOrderChange({ requestId: rid(), orderId: order.id, type, actions });
  const versionOf = async (orderId: string) => (await s.orders.getOrder({ orderId })).order!.version;
  const confirm = async (changeId: string, orderId: string, client = s.changes) =>
    client.confirmOrderChange({ requestId: rid(), changeId, expectedVersion: await versionOf(orderId) });

  it("when 3 were ordered and 2 shipped, then a return of 3 is refused naming the field", async () => {
    const order = await s.shippedOrder([{ productId: "prod-notebook", quantity: 3, shipped: 2 }]);
    const error = await failure(ask(order, [returning(s.itemOf(order, "prod-notebook").id, 3)]));
    expect(error.code).toBe(Code.InvalidArgument);
    const [violation] = error.findDetails(BadRequestSchema)[0]!.fieldViolations;
    expect(violation).toMatchObject({ field: "actions[0].return_item.quantity" });
    expect(violation!.description).toContain("at most 2");
  });

  it("when 2 are returned and 1 arrives good and 1 damaged, then both are refunded at the unit's paid price and 1 is back on sale where it was received", async () => {
    const order = await s.shippedOrder([{ productId: "prod-notebook", quantity: 3, shipped: 2 }]);
    const item = s.itemOf(order, "prod-notebook");
    const { change, preview } = await ask(order, [returning(item.id, 2)]);
    expect(change).toMatchObject({
      status: OrderChangeStatus.REQUESTED,
      returnStatus: ReturnStatus.REQUESTED,
      sellerIds: [],
      createdBy: "",
    });
    const asStaffSee = (await s.changes.getOrderChange({ changeId: change!.id })).change;
    expect(asStaffSee).toMatchObject({ sellerIds: ["seller-north"], createdBy: BUYER });
    expect(preview).toMatchObject({
      refundTotal: usd(2160n),
      differenceDue: usd(-2160n),
      lines: [{ itemId: item.id, quantity: 2, amount: usd(-2160n), tax: usd(-160n) }],
    });

    const confirmed = await confirm(change!.id, order.id, s.north);
    expect(confirmed.change).toMatchObject({ status: OrderChangeStatus.CONFIRMED, returnStatus: ReturnStatus.AWAITING_RECEIPT });
    // A seller is not shown the order's money; and refunds come on receipt (the default): nothing yet.
    expect(confirmed.order!.balance).toBeUndefined();
    expect((await s.orders.getOrder({ orderId: order.id })).order!.balance!.refunded).toMatchObject(usd(0n));

    const before = await stockAt(s.app.databaseUrl, "prod-notebook");
    const received = await s.north.receiveReturn({
      requestId: rid(),
      changeId: change!.id,
      locationId: "north-west",
      lines: [{ itemId: item.id, goodQuantity: 1, damagedQuantity: 1 }],
    });
    expect(received.change).toMatchObject({ returnStatus: ReturnStatus.RECEIVED, receivingLocationId: "north-west" });
    const after = await stockAt(s.app.databaseUrl, "prod-notebook");
    expect(after["north-west"]!.available).toBe(before["north-west"]!.available + 1);
    expect(after["north-east"]!.available).toBe(before["north-east"]!.available);

    const { entries, balance } = await s.ledger.listLedgerEntries({ orderId: order.id });
    const refund = entries.at(-1)!;
    expect(refund).toMatchObject({
      kind: LedgerEntryKind.REFUND,
      refundCause: RefundCause.RETURN,
      amount: usd(2160n),
      idempotencyKey: `refund:${order.id}:${change!.id}`,
    });
    expect(refund.breakdown!.lines).toMatchObject([{ itemId: item.id, quantity: 2, amount: usd(2160n), tax: usd(160n) }]);
    expect(balance).toMatchObject({ refunded: usd(2160n), outstanding: usd(0n) });
    const returned = (await s.orders.getOrder({ orderId: order.id })).order!.items[0]!;
    expect(returned).toMatchObject({ refundedQuantity: 2, refundedAmount: usd(2160n) });
    const types = await eventTypes(s.app.databaseUrl, order.id);
    expect(types.filter((type) => /^(OrderChange|Return|Refund)/.test(type))).toEqual([
      "OrderChangeRequested",
      "OrderChangeConfirmed",
      "ReturnReceived",
      "RefundIssued",
    ]);
  });

  it("when 1 of 3 at 10.00 + 8% comes back, then 2, then the refunds add up to exactly what the line was paid, and no more can go back", async () => {
    const order = await s.shippedOrder([{ productId: "prod-notebook", quantity: 3, shipped: 3 }]);
    const item = s.itemOf(order, "prod-notebook");
    const refunds: bigint[] = [];
    for (const quantity of [1, 2]) {
      const { change } = await ask(order, [returning(item.id, quantity)]);
      await confirm(change!.id, order.id);
      const { order: after } = await s.changes.receiveReturn({
        requestId: rid(),
        changeId: change!.id,
        locationId: "north-east",
        lines: [{ itemId: item.id, goodQuantity: quantity }],
      });
      refunds.push(after!.balance!.refunded!.amountMinor - refunds.reduce((a, b) => a + b, 0n));
    }
    expect(refunds).toEqual([1080n, 2160n]);
    expect(refunds[0]! + refunds[1]!).toBe(3000n + 240n);
    expect(reasonOf(await failure(ask(order, [returning(item.id, 1)])))).toBe("INVALID_ARGUMENT");
    // What is left of the capture is the shipping: 5.99, not a cent more.
    const goodwill = (amountMinor: bigint) =>
      s.ledger.issueRefund({ requestId: rid(), orderId: order.id, cause: RefundCause.GOODWILL, amount: usd(amountMinor), reason: "sorry" });
    expect(reasonOf(await failure(goodwill(600n)))).toBe("REFUND_EXCEEDS_CAPTURED");
  });

  it("when two confirms of one change race, then one wins and the other is FAILED_PRECONDITION naming the order's version", async () => {
    const order = await s.shippedOrder([{ productId: "prod-notebook", quantity: 2, shipped: 2 }]);
    const { change } = await ask(order, [returning(s.itemOf(order, "prod-notebook").id, 1)]);
    const expectedVersion = await versionOf(order.id);
    const results = await Promise.allSettled(
      [0, 1].map(() => s.changes.confirmOrderChange({ requestId: rid(), changeId: change!.id, expectedVersion })),
    );
    expect(results.map((result) => result.status).sort()).toEqual(["fulfilled", "rejected"]);
    const loser = (results.find((result) => result.status === "rejected") as PromiseRejectedResult).reason;
    expect(loser.code).toBe(Code.FailedPrecondition);
    expect(reasonOf(loser)).toBe("ORDER_VERSION_CHANGED");
    const now = await versionOf(order.id);
    expect(loser.findDetails(PreconditionFailureSchema)[0]!.violations[0]!.description).toBe(`is at version ${now}`);
  });

  it("when a change is open, then a second one is refused until it is decided; a customer may withdraw its own request", async () => {
    const order = await s.shippedOrder([{ productId: "prod-notebook", quantity: 2, shipped: 2 }]);
    const item = s.itemOf(order, "prod-notebook");
    const { change } = await ask(order, [returning(item.id, 1)]);
    expect(reasonOf(await failure(ask(order, [returning(item.id, 1)])))).toBe("CHANGE_ALREADY_OPEN");
    const withdrawn = await s.buyer.cancelOrderChange({ requestId: rid(), changeId: change!.id, reason: "kept it" });
    expect(withdrawn.change).toMatchObject({ status: OrderChangeStatus.CANCELED, returnStatus: ReturnStatus.CANCELED });
    const { change: again } = await ask(order, [returning(item.id, 2)]);
    const declined = await s.north.declineOrderChange({ requestId: rid(), changeId: again!.id, reason: "worn" });
    expect(declined.change).toMatchObject({ status: OrderChangeStatus.DECLINED, decisionReason: "worn" });
    expect(reasonOf(await failure(confirm(again!.id, order.id)))).toBe("ILLEGAL_CHANGE_TRANSITION");
  });

  it("when staff accept a claim for a defective unit, then it is refunded at once, without a return, and cannot be claimed or returned again", async () => {
    const order = await s.shippedOrder([{ productId: "prod-notebook", quantity: 2, shipped: 2 }]);
    const item = s.itemOf(order, "prod-notebook");
    const { change } = await ask(order, [claiming(item.id, 1)], s.changes, OrderChangeType.CLAIM);
    expect(change).toMatchObject({ status: OrderChangeStatus.PENDING, returnStatus: ReturnStatus.UNSPECIFIED });
    const { order: after } = await confirm(change!.id, order.id);
    expect(after!.balance!.refunded).toMatchObject(usd(1080n));
    expect(after!.items[0]).toMatchObject({ refundedQuantity: 1 });
    expect(
      (await failure(ask(order, [returning(item.id, 2)]))).findDetails(BadRequestSchema)[0]!.fieldViolations[0]!.description,
    ).toContain("at most 1");
  });

  it("when a customer asks to return another customer's items, claims, or more than shipped, then it is refused", async () => {
    const order = await s.shippedOrder([{ productId: "prod-notebook", quantity: 2, shipped: 1 }]);
    const item = s.itemOf(order, "prod-notebook");
    const stranger = s.app.connect(OrderChangeService, await token("someone-else"));
    expect((await failure(ask(order, [returning(item.id, 1)], stranger))).code).toBe(Code.NotFound);
    expect((await failure(ask(order, [claiming(item.id, 1)], s.buyer, OrderChangeType.CLAIM))).code).toBe(Code.InvalidArgument);
    expect((await failure(ask(order, [returning(randomUUID(), 1)]))).findDetails(BadRequestSchema)[0]!.fieldViolations[0]!.field).toBe(
      "actions[0].return_item.item_id",
    );
  });

  it("when a return holds two sellers' items, then neither seller may confirm it and each sees only changes of its own items", async () => {
    const order = await s.shippedOrder([
      { productId: "prod-notebook", quantity: 1, shipped: 1 },
      { productId: "prod-socks", quantity: 1, shipped: 1 },
    ]);
    const { change } = await ask(order, [
      returning(s.itemOf(order, "prod-notebook").id, 1),
      returning(s.itemOf(order, "prod-socks").id, 1),
    ]);
    expect((await failure(confirm(change!.id, order.id, s.north))).code).toBe(Code.PermissionDenied);
    const northOnly = await s.shippedOrder([{ productId: "prod-notebook", quantity: 1, shipped: 1 }]);
    const { change: mine } = await ask(northOnly, [returning(s.itemOf(northOnly, "prod-notebook").id, 1)]);
    expect((await failure(s.south.getOrderChange({ changeId: mine!.id }))).code).toBe(Code.NotFound);
    expect((await failure(confirm(mine!.id, northOnly.id, s.south))).code).toBe(Code.NotFound);
    const queue = await s.south.listOrderChanges({ statuses: [OrderChangeStatus.REQUESTED] });
    expect(queue.changes.every((each) => each.sellerIds.includes("seller-south"))).toBe(true);
    expect(queue.changes.map((each) => each.id)).toContain(change!.id);
    expect(queue.changes.map((each) => each.id)).not.toContain(mine!.id);
  });

  it("when a return is received at another seller's location, then INVALID_ARGUMENT names location_id and nothing is restocked", async () => {
    const order = await s.shippedOrder([{ productId: "prod-notebook", quantity: 1, shipped: 1 }]);
    const item = s.itemOf(order, "prod-notebook");
    const { change } = await ask(order, [returning(item.id, 1)]);
    await confirm(change!.id, order.id);
    const before = await stockAt(s.app.databaseUrl, "prod-notebook");
    const error = await failure(
      s.changes.receiveReturn({
        requestId: rid(),
        changeId: change!.id,
        locationId: "south-main",
        lines: [{ itemId: item.id, goodQuantity: 1 }],
      }),
    );
    expect(error.findDetails(BadRequestSchema)[0]!.fieldViolations[0]!.field).toBe("location_id");
    const tooMany = await failure(
      s.changes.receiveReturn({
        requestId: rid(),
        changeId: change!.id,
        locationId: "north-east",
        lines: [{ itemId: item.id, goodQuantity: 2 }],
      }),
    );
    expect(tooMany.findDetails(BadRequestSchema)[0]!.fieldViolations[0]!.field).toBe("lines[0].good_quantity");
    expect(await stockAt(s.app.databaseUrl, "prod-notebook")).toEqual(before);
  });
});

describe("returns with RETURN_WINDOW_DAYS=0 and RETURN_REFUND_ON=request", () => {
  let s: Awaited<ReturnType<typeof stack>>;
  beforeAll(async () => {
    s = await stack({ RETURN_WINDOW_DAYS: "0", RETURN_REFUND_ON: "request" });
  });
  afterAll(() => s?.app.stop());

  it("when the window has closed, then a customer's request is refused, staff may still make the return, and it is refunded as it is confirmed", async () => {
    const order = await s.shippedOrder([{ productId: "prod-notebook", quantity: 1, shipped: 1 }]);
    const item = s.itemOf(order, "prod-notebook");
    const refused = await failure(
      s.buyer.createOrderChange({ requestId: rid(), orderId: order.id, type: OrderChangeType.RETURN, actions: [returning(item.id, 1)] }),
    );
    expect(reasonOf(refused)).toBe("RETURN_WINDOW_CLOSED");
    const { change } = await s.changes.createOrderChange({
      requestId: rid(),
      orderId: order.id,
      type: OrderChangeType.RETURN,
      actions: [returning(item.id, 1)],
    });
    const expectedVersion = (await s.orders.getOrder({ orderId: order.id })).order!.version;
    const { order: after, change: confirmed } = await s.changes.confirmOrderChange({
      requestId: rid(),
      changeId: change!.id,
      expectedVersion,
    });
    expect(after!.balance!.refunded).toMatchObject(usd(1080n));
    expect(confirmed!.lines).toMatchObject([{ itemId: item.id, quantity: 1, amount: usd(-1080n) }]);
    // Received later: stock back, no second refund.
    const { order: received } = await s.changes.receiveReturn({
      requestId: rid(),
      changeId: change!.id,
      locationId: "north-east",
      lines: [{ itemId: item.id, goodQuantity: 1 }],
    });
    expect(received!.balance!.refunded).toMatchObject(usd(1080n));
  });
});

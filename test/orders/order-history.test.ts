import { randomUUID } from "node:crypto";
import { Code, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderService, OrderStatus, type Order } from "../../gen/shop/order/v1/order_pb.js";
import { failure } from "../support/errors.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { ADMIN_USER, sellerToken, token } from "../support/tokens.js";

const BUYER = "history-buyer";
const rid = () => randomUUID();

describe("GetOrderHistory: an order's status changes, oldest first, in pages", () => {
  let app: TestApp;
  let staff: Client<typeof OrderService>;
  let buyer: Client<typeof OrderService>;
  let order: Order;

  beforeAll(async () => {
    app = await startTestApp();
    staff = app.connect(OrderService);
    buyer = app.connect(OrderService, await token(BUYER));
    order = (await buyer.createOrder(createOrderRequest({ userId: "" }))).order!;
    await staff.updateOrderStatus({ requestId: rid(), orderId: order.id, status: OrderStatus.CONFIRMED, reason: "stock checked" });
    await buyer.cancelOrder({ requestId: rid(), orderId: order.id, reason: "found it cheaper" });
  });
  afterAll(() => app?.stop());

  it("when staff read it, then every change comes oldest first with its actor and reason", async () => {
    const { changes, nextPageToken } = await staff.getOrderHistory({ orderId: order.id });
    expect(changes.map((c) => [OrderStatus[c.fromStatus], OrderStatus[c.toStatus], c.actor, c.reason])).toEqual([
      ["UNSPECIFIED", "PENDING", BUYER, "placed"],
      ["PENDING", "CONFIRMED", ADMIN_USER, "stock checked"],
      ["CONFIRMED", "CANCELLED", BUYER, "found it cheaper"],
    ]);
    expect(nextPageToken).toBe("");
  });

  it("when pages of one are asked, then the tokens walk the same changes, and a token cannot page another order", async () => {
    const seen: string[] = [];
    let pageToken = "";
    do {
      const page = await staff.getOrderHistory({ orderId: order.id, pageSize: 1, pageToken });
      expect(page.changes.length).toBeLessThanOrEqual(1);
      seen.push(...page.changes.map((c) => OrderStatus[c.toStatus]));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual(["PENDING", "CONFIRMED", "CANCELLED"]);
    const first = await staff.getOrderHistory({ orderId: order.id, pageSize: 1 });
    const other = (await buyer.createOrder(createOrderRequest({ userId: "" }))).order!;
    const refused = await failure(staff.getOrderHistory({ orderId: other.id, pageToken: first.nextPageToken }));
    expect(refused.code).toBe(Code.InvalidArgument);
  });

  it("when the buyer reads it, then their own changes show their id and staff's show 'staff'", async () => {
    const { changes } = await buyer.getOrderHistory({ orderId: order.id });
    expect(changes.map((c) => c.actor)).toEqual([BUYER, "staff", BUYER]);
  });

  it("when another customer or a seller without its items asks, then NOT_FOUND, as for a missing order", async () => {
    const stranger = app.connect(OrderService, await token("someone-else"));
    const seller = app.connect(OrderService, await sellerToken("south-clerk", "seller-south"));
    for (const client of [stranger, seller]) {
      expect((await failure(client.getOrderHistory({ orderId: order.id }))).code).toBe(Code.NotFound);
    }
    expect((await failure(staff.getOrderHistory({ orderId: randomUUID() }))).code).toBe(Code.NotFound);
  });

  it("when a seller of one of its items reads it, then the buyer's changes show 'customer' and no reason is sent", async () => {
    const seller = app.connect(OrderService, await sellerToken("north-clerk", "seller-north"));
    const { changes } = await seller.getOrderHistory({ orderId: order.id });
    expect(changes.map((c) => [c.actor, c.reason])).toEqual([
      ["customer", ""],
      ["staff", ""],
      ["customer", ""],
    ]);
  });

  it("when the order id or page size is bad, then INVALID_ARGUMENT names each field", async () => {
    const refused = await failure(staff.getOrderHistory({ orderId: "nope", pageSize: -1 }));
    expect(refused.code).toBe(Code.InvalidArgument);
    expect(refused.rawMessage).toContain("order_id: must be a UUID");
    expect(refused.rawMessage).toContain("page_size: must not be negative");
  });
});

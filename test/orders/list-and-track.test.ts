import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderService, OrderStatus } from "../../gen/shop/order/v1/order_pb.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

describe("ListOrders and GetOrderStatus", () => {
  let app: TestApp;
  const ids: string[] = [];

  beforeAll(async () => {
    app = await startTestApp();
    const client = app.connect(OrderService);
    for (let i = 0; i < 5; i++) {
      const email = i % 2 === 0 ? "even@example.com" : "odd@example.com";
      const { order } = await client.createOrder(
        createOrderRequest({ userId: "lister", customer: { email, firstName: "A", lastName: "B" } }),
      );
      ids.push(order!.id);
    }
  });
  afterAll(() => app?.stop());

  it("when a user's orders are listed in pages of 2, then all come back newest first with no repeats", async () => {
    const client = app.connect(OrderService);
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await client.listOrders({ userId: "lister", pageSize: 2, pageToken, includeTotalSize: true });
      expect(page.totalSize).toBe(5n);
      seen.push(...page.orders.map((o) => o.id));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it("when filtered by email, status and time, then only matching orders come back", async () => {
    const client = app.connect(OrderService);
    const byEmail = await client.listOrders({ customerEmail: "EVEN@example.com" });
    expect(byEmail.orders.map((o) => o.id).sort()).toEqual([ids[0], ids[2], ids[4]].sort());
    const byStatus = await client.listOrders({ userId: "lister", statuses: [OrderStatus.SHIPPED] });
    expect(byStatus.orders).toEqual([]);
    const future = await client.listOrders({ userId: "lister", createdAfter: timestampFromDate(new Date(Date.now() + 60_000)) });
    expect(future.orders).toEqual([]);
  });

  it("when the filters change between pages or the token is forged, then INVALID_ARGUMENT", async () => {
    const client = app.connect(OrderService);
    const first = await client.listOrders({ userId: "lister", pageSize: 1 });
    const changed = await client
      .listOrders({ userId: "someone-else", pageSize: 1, pageToken: first.nextPageToken })
      .catch((e) => ConnectError.from(e));
    expect((changed as ConnectError).code).toBe(Code.InvalidArgument);
    const forged = await client.listOrders({ pageToken: "not-a-token" }).catch((e) => ConnectError.from(e));
    expect((forged as ConnectError).code).toBe(Code.InvalidArgument);
    const negative = await client.listOrders({ pageSize: -1 }).catch((e) => ConnectError.from(e));
    expect((negative as ConnectError).code).toBe(Code.InvalidArgument);
  });

  it("when a time filter lies outside the years 1 to 9999 (found by fuzzing: was INTERNAL), then INVALID_ARGUMENT names the field", async () => {
    const client = app.connect(OrderService);
    const error = await client.listOrders({ createdBefore: { seconds: -62135596801n, nanos: 0 } }).catch((e) => ConnectError.from(e));
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect((error as ConnectError).rawMessage).toContain("created_before");
  });

  it("when the status of an order is asked, then it has the history and the estimated delivery", async () => {
    const status = await app.connect(OrderService).getOrderStatus({ orderId: ids[0]! });
    expect(status.status).toBe(OrderStatus.PENDING);
    expect(status.history).toEqual([
      expect.objectContaining({ fromStatus: OrderStatus.UNSPECIFIED, toStatus: OrderStatus.PENDING, actor: "lister" }),
    ]);
    expect(status.estimatedDeliveryDate?.year).toBeGreaterThanOrEqual(2026);
  });
});

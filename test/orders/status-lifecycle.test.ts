import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import {
  ItemStatus,
  OrderService,
  OrderStatus,
  PaymentStatus,
  type CancelOrderResponse,
  type Order,
} from "../../gen/shop/order/v1/order_pb.js";
import { eventTypes, query, stockOf } from "../support/db.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTestApp, unary, type TestApp } from "../support/test-app.js";
import { failure, reasonOf } from "../support/errors.js";

const rid = () => randomUUID();

describe("order lifecycle over Connect and gRPC, on real PostgreSQL", () => {
  let app: TestApp;
  let orders: Client<typeof OrderService>;
  beforeAll(async () => {
    app = await startTestApp();
    orders = app.connect(OrderService);
  });
  afterAll(() => app?.stop());

  const place = async (overrides = {}) => (await orders.createOrder(createOrderRequest(overrides))).order!;
  const setStatus = (order: Order, status: OrderStatus, extra = {}) =>
    orders.updateOrderStatus({ requestId: rid(), orderId: order.id, status, ...extra }).then((r) => r.order!);

  it("when notes and tracking are updated with the current version, then they change and the version moves on", async () => {
    const order = await place();
    const updated = (
      await orders.updateOrder({
        requestId: rid(),
        orderId: order.id,
        expectedVersion: order.version,
        notes: "leave at door",
        trackingNumber: "1Z999",
        carrier: "UPS",
      })
    ).order!;
    expect(updated).toMatchObject({ notes: "leave at door", trackingNumber: "1Z999", carrier: "UPS", version: order.version + 1n });
    expect(await eventTypes(app.databaseUrl, order.id)).toEqual(["OrderCreated", "OrderItemCreated", "OrderItemCreated", "OrderUpdated"]);
  });

  it("when an update carries a stale version, then ABORTED with both versions and nothing changes", async () => {
    const order = await place();
    await orders.updateOrder({ requestId: rid(), orderId: order.id, notes: "first" });
    const error = await failure(
      orders.updateOrder({ requestId: rid(), orderId: order.id, expectedVersion: order.version, notes: "second" }),
    );
    expect(error.code).toBe(Code.Aborted);
    expect(error.findDetails(ErrorInfoSchema)[0]).toMatchObject({
      reason: "VERSION_MISMATCH",
      metadata: { expected_version: "1", actual_version: "2" },
    });
    expect((await orders.getOrder({ orderId: order.id })).order?.notes).toBe("first");
  });

  it("when five writers race with the same version, then exactly one wins and the others get ABORTED", async () => {
    const order = await place();
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        orders.updateOrder({ requestId: rid(), orderId: order.id, expectedVersion: order.version, notes: `writer ${i}` }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const codes = results.flatMap((r) => (r.status === "rejected" ? [ConnectError.from(r.reason).code] : []));
    expect(codes).toEqual([Code.Aborted, Code.Aborted, Code.Aborted, Code.Aborted]);
  });

  it("when an update sets nothing or bad values, then INVALID_ARGUMENT names the fields", async () => {
    const order = await place();
    const nothing = await failure(orders.updateOrder({ requestId: rid(), orderId: order.id }));
    expect(nothing.code).toBe(Code.InvalidArgument);
    const bad = await failure(
      orders.updateOrder({ requestId: "", orderId: order.id, trackingNumber: "no spaces allowed", shippingAddress: { line1: "x" } }),
    );
    const fields = bad.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field);
    expect(fields).toEqual(
      expect.arrayContaining(["request_id", "tracking_number", "shipping_address.city", "shipping_address.country_code"]),
    );
  });

  it("when an order goes from placed to delivered, then every step is in the history with its actor and stock is committed", async () => {
    const before = await stockOf(app.databaseUrl, "prod-lamp");
    let order = await place({ items: [{ productId: "prod-lamp", quantity: 2 }] });
    order = await setStatus(order, OrderStatus.CONFIRMED);
    order = (await orders.payOrder({ requestId: rid(), orderId: order.id, paymentMethod: createOrderRequest().paymentMethod })).order!;
    expect(order).toMatchObject({ status: OrderStatus.PAID, payment: { status: PaymentStatus.CAPTURED } });
    order = await setStatus(order, OrderStatus.PROCESSING);
    expect(order.items.map((i) => i.status)).toEqual([ItemStatus.PROCESSING]);

    const noTracking = await failure(setStatus(order, OrderStatus.SHIPPED));
    expect(noTracking.code).toBe(Code.InvalidArgument);
    expect(noTracking.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe("tracking_number");

    order = await setStatus(order, OrderStatus.SHIPPED, { trackingNumber: "1Z12345", carrier: "UPS" });
    expect(order).toMatchObject({ status: OrderStatus.SHIPPED, trackingNumber: "1Z12345", carrier: "UPS" });
    order = await setStatus(order, OrderStatus.DELIVERED);
    expect(order.items.map((i) => i.status)).toEqual([ItemStatus.DELIVERED]);

    const tracking = await orders.getOrderStatus({ orderId: order.id });
    expect(tracking.history.map((h) => [OrderStatus[h.toStatus], h.actor])).toEqual([
      ["PENDING", "user-1"],
      ["CONFIRMED", "ops-1"],
      ["PAID", "ops-1"],
      ["PROCESSING", "ops-1"],
      ["SHIPPED", "ops-1"],
      ["DELIVERED", "ops-1"],
    ]);
    expect(await stockOf(app.databaseUrl, "prod-lamp")).toEqual({ available: before.available - 2, reserved: before.reserved });
    expect(await eventTypes(app.databaseUrl, order.id)).toEqual([
      "OrderCreated",
      "OrderItemCreated",
      "OrderStatusChanged",
      "OrderStatusChanged",
      "PaymentCaptured",
      "OrderPaid",
      "OrderStatusChanged",
      "OrderItemStatusChanged",
      "OrderStatusChanged",
      "OrderItemStatusChanged",
      "OrderShipped",
      "OrderStatusChanged",
      "OrderItemStatusChanged",
      "OrderDelivered",
      "OrderCompleted",
    ]);
  });

  it("when a move is not in the table, then FAILED_PRECONDITION says which moves are allowed", async () => {
    const order = await place();
    const error = await failure(setStatus(order, OrderStatus.DELIVERED));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(reasonOf(error)).toBe("ILLEGAL_STATUS_TRANSITION");
    expect(error.rawMessage).toContain("from PENDING it can move to CONFIRMED, PAID, CANCELLED");
    const paid = await failure(setStatus(order, OrderStatus.PAID));
    expect(paid.code).toBe(Code.InvalidArgument);
    const none = await failure(setStatus(order, OrderStatus.UNSPECIFIED));
    expect(none.code).toBe(Code.InvalidArgument);
  });

  it("when a placed order is cancelled over gRPC, then its stock is released, items cancelled, and the reason kept", async () => {
    const before = await stockOf(app.databaseUrl, "prod-cap");
    const order = await place({ items: [{ productId: "prod-cap", quantity: 3 }] });
    expect((await stockOf(app.databaseUrl, "prod-cap")).available).toBe(before.available - 3);
    const cancelled = await unary<CancelOrderResponse>(app.grpcClient(OrderService), "cancelOrder", {
      requestId: rid(),
      orderId: order.id,
      reason: "changed my mind",
    });
    expect(cancelled.order).toMatchObject({
      status: OrderStatus.CANCELLED,
      cancelReason: "changed my mind",
      items: [expect.objectContaining({ status: ItemStatus.CANCELLED })],
    });
    expect(await stockOf(app.databaseUrl, "prod-cap")).toEqual(before);
  });

  it("when cancel has no reason or the order has shipped, then INVALID_ARGUMENT or FAILED_PRECONDITION over gRPC", async () => {
    const order = await place({ paymentMethod: { method: { case: "upi" as const, value: { vpa: "ann@okbank" } } } });
    const noReason = await unary(app.grpcClient(OrderService), "cancelOrder", { requestId: rid(), orderId: order.id }).catch(
      (e: grpc.ServiceError) => e,
    );
    expect((noReason as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    await setStatus(order, OrderStatus.CONFIRMED);
    await setStatus(order, OrderStatus.PROCESSING);
    await setStatus(order, OrderStatus.SHIPPED, { trackingNumber: "TRK1" });
    const shipped = await failure(orders.cancelOrder({ requestId: rid(), orderId: order.id, reason: "late" }));
    expect(shipped.code).toBe(Code.FailedPrecondition);
    expect(reasonOf(shipped)).toBe("ILLEGAL_STATUS_TRANSITION");
    const address = await failure(
      orders.updateOrder({ requestId: rid(), orderId: order.id, shippingAddress: createOrderRequest().shippingAddress }),
    );
    expect(reasonOf(address)).toBe("ORDER_STATUS_FORBIDS");
  });

  it("when a paid order is cancelled, then the captured payment is refunded", async () => {
    const order = await place();
    await orders.payOrder({ requestId: rid(), orderId: order.id, paymentMethod: createOrderRequest().paymentMethod });
    const cancelled = (await orders.cancelOrder({ requestId: rid(), orderId: order.id, reason: "out of budget" })).order!;
    expect(cancelled).toMatchObject({ status: OrderStatus.CANCELLED, payment: { status: PaymentStatus.REFUNDED } });
    const types = await eventTypes(app.databaseUrl, order.id);
    expect(types.filter((type) => type !== "OrderItemStatusChanged").slice(-3)).toEqual([
      "OrderStatusChanged",
      "RefundIssued",
      "OrderCancelled",
    ]);
  });

  it("when a paid order is refunded before shipping, then money and stock both go back", async () => {
    const before = await stockOf(app.databaseUrl, "prod-bottle");
    const order = await place({ items: [{ productId: "prod-bottle", quantity: 1 }] });
    await orders.payOrder({ requestId: rid(), orderId: order.id, paymentMethod: createOrderRequest().paymentMethod });
    const refunded = (await orders.refundOrder({ requestId: rid(), orderId: order.id, reason: "damaged in warehouse" })).order!;
    expect(refunded).toMatchObject({ status: OrderStatus.REFUNDED, payment: { status: PaymentStatus.REFUNDED } });
    expect(await stockOf(app.databaseUrl, "prod-bottle")).toEqual(before);
  });

  it("when nothing was captured, then refund is refused and the order is unchanged", async () => {
    const order = await place();
    expect(reasonOf(await failure(orders.refundOrder({ requestId: rid(), orderId: order.id, reason: "x" })))).toBe(
      "ILLEGAL_STATUS_TRANSITION",
    );
    await setStatus(order, OrderStatus.CONFIRMED);
    const processing = await setStatus(order, OrderStatus.PROCESSING);
    const error = await failure(orders.refundOrder({ requestId: rid(), orderId: order.id, reason: "x" }));
    expect(reasonOf(error)).toBe("NOTHING_TO_REFUND");
    expect((await orders.getOrder({ orderId: order.id })).order).toEqual(processing);
  });

  it("when a closed order is deleted, then readers no longer see it but the row is kept for audit", async () => {
    const order = await place({ userId: "user-deleted" });
    const open = await failure(orders.deleteOrder({ requestId: rid(), orderId: order.id }));
    expect(reasonOf(open)).toBe("ORDER_STATUS_FORBIDS");
    await orders.cancelOrder({ requestId: rid(), orderId: order.id, reason: "test" });
    await orders.deleteOrder({ requestId: rid(), orderId: order.id, reason: "gdpr request" });
    expect((await failure(orders.getOrder({ orderId: order.id }))).code).toBe(Code.NotFound);
    expect((await orders.listOrders({ userId: "user-deleted" })).orders).toEqual([]);
    const [row] = await query<{ deleted: boolean }>(app.databaseUrl, `select deleted_at is not null as deleted from orders where id = $1`, [
      order.id,
    ]);
    expect(row).toEqual({ deleted: true });
    expect((await failure(orders.deleteOrder({ requestId: rid(), orderId: order.id }))).code).toBe(Code.NotFound);
  });

  it("when a cancel is retried with its request id, then the first response comes back and the history has one cancel", async () => {
    const order = await place();
    const request = { requestId: rid(), orderId: order.id, reason: "duplicate click" };
    const first = await orders.cancelOrder(request);
    const again = await orders.cancelOrder(request);
    expect(again).toEqual(first);
    const reused = await failure(orders.cancelOrder({ ...request, reason: "something else" }));
    expect(reused.code).toBe(Code.AlreadyExists);
    const history = (await orders.getOrderStatus({ orderId: order.id })).history;
    expect(history.filter((h) => h.toStatus === OrderStatus.CANCELLED)).toHaveLength(1);
  });

  it("when ids are not UUIDs or the order is missing, then INVALID_ARGUMENT or NOT_FOUND", async () => {
    expect((await failure(orders.cancelOrder({ requestId: rid(), orderId: "nope", reason: "x" }))).code).toBe(Code.InvalidArgument);
    const missing = await failure(orders.cancelOrder({ requestId: rid(), orderId: randomUUID(), reason: "x" }));
    expect(missing.code).toBe(Code.NotFound);
  });
});

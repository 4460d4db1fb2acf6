import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ItemStatus, OrderService, OrderStatus, PaymentStatus, type Order } from "../../gen/shop/order/v1/order_pb.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTestApp, unary, type TestApp } from "../support/test-app.js";

/** The same RPCs the Connect tests cover, called by a plain @grpc/grpc-js client as another microservice would. */
describe("every OrderService RPC over gRPC", () => {
  let app: TestApp;
  let client: ReturnType<TestApp["grpcClient"]>;
  beforeAll(async () => {
    app = await startTestApp();
    client = app.grpcClient(OrderService);
  });
  afterAll(() => app?.stop());

  const call = async (method: string, request: object) =>
    (await unary<{ order?: Order }>(client, method, { requestId: randomUUID(), ...request })).order!;

  it("when an order is placed, edited, paid, fulfilled, refunded and deleted over gRPC, then each step answers as over Connect", async () => {
    let order = await call("createOrder", createOrderRequest());
    const orderId = order.id;
    order = await call("updateOrder", { orderId, expectedVersion: order.version, notes: "ring twice" });
    order = await call("addOrderItem", { orderId, item: { productId: "prod-cap", quantity: 1 } });
    const cap = order.items.find((i) => i.productId === "prod-cap")!;
    order = await call("updateOrderItemQuantity", { orderId, itemId: cap.id, quantity: 2 });
    order = await call("removeOrderItem", { orderId, itemId: cap.id });
    expect(order.items).toHaveLength(2);
    order = await call("updateOrderStatus", { orderId, status: OrderStatus.CONFIRMED });
    order = await call("payOrder", { orderId, paymentMethod: createOrderRequest().paymentMethod });
    expect(order.payment?.status).toBe(PaymentStatus.CAPTURED);
    order = await call("updateOrderStatus", { orderId, status: OrderStatus.PROCESSING });
    order = await call("updateOrderItemStatus", { orderId, itemId: order.items[0]!.id, status: ItemStatus.SHIPPED });
    order = await call("updateOrderStatus", { orderId, status: OrderStatus.SHIPPED, trackingNumber: "GRPC1" });
    order = await call("refundOrder", { orderId, reason: "lost in transit" });
    expect(order).toMatchObject({ status: OrderStatus.REFUNDED, version: 11n });

    const status = await unary<{ history: unknown[] }>(client, "getOrderStatus", { orderId });
    expect(status.history).toHaveLength(6);
    await unary(client, "deleteOrder", { requestId: randomUUID(), orderId });
    const gone = await unary(client, "getOrder", { orderId }).catch((e: grpc.ServiceError) => e);
    expect((gone as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
  });

  it("when a change is stale over gRPC, then ABORTED", async () => {
    const order = await call("createOrder", createOrderRequest());
    await call("updateOrder", { orderId: order.id, notes: "a" });
    const error = await call("updateOrder", { orderId: order.id, expectedVersion: order.version, notes: "b" }).catch(
      (e: grpc.ServiceError) => e,
    );
    expect((error as grpc.ServiceError).code).toBe(grpc.status.ABORTED);
  });
});

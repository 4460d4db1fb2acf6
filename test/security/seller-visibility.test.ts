import { randomUUID } from "node:crypto";
import { isFieldSet, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Code, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GetOrderHistoryResponseSchema,
  GetOrderStatusResponseSchema,
  ItemStatus,
  OrderSchema,
  OrderService,
  OrderStatus,
  PaymentStatus,
  type Order,
} from "../../gen/shop/order/v1/order_pb.js";
import { ORDER_VISIBILITY } from "../../src/orders/rpc/order-access.js";
import type { Viewer } from "../../src/platform/auth/visibility.js";
import { failure } from "../support/errors.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startAppWithReferenceCatalogOverGrpc } from "../support/reference-catalog-server.js";
import { sellerToken, token } from "../support/tokens.js";

const CUSTOMER = "visibility-customer";
const EMAIL = "ann.visible@example.com";
const rid = () => randomUUID();

/**
 * The fields of an answer that the visibility table does not grant `viewer`, by path: what must
 * be empty in everything the role is sent. Walks the message and its messages from the descriptors.
 */
function leaks(desc: DescMessage, message: MessageShape<DescMessage>, viewer: Viewer, path = ""): string[] {
  const rules = ORDER_VISIBILITY[desc.typeName];
  if (!rules) return [];
  return desc.fields.flatMap((field) => {
    if (!isFieldSet(message, field)) return [];
    const at = `${path}${field.name}`;
    if ((rules[field.name]?.[viewer] ?? false) === false) return [at];
    const value = (message as unknown as Record<string, unknown>)[field.localName];
    if (field.fieldKind === "message") return leaks(field.message, value as never, viewer, `${at}.`);
    if (field.fieldKind === "list" && field.listKind === "message")
      return (value as never[]).flatMap((element, i) => leaks(field.message, element, viewer, `${at}[${i}].`));
    return [];
  });
}

describe("attack: a seller learns about customers what it may not see", () => {
  let stack: Awaited<ReturnType<typeof startAppWithReferenceCatalogOverGrpc>>;
  let admin: Client<typeof OrderService>;
  let customer: Client<typeof OrderService>;
  let north: Client<typeof OrderService>;
  let order: Order;

  beforeAll(async () => {
    stack = await startAppWithReferenceCatalogOverGrpc();
    admin = stack.app.grpc(OrderService);
    customer = stack.app.grpc(OrderService, await token(CUSTOMER));
    north = stack.app.grpc(OrderService, await sellerToken("north-clerk", "seller-north"));
    const request = createOrderRequest({
      userId: CUSTOMER,
      items: [
        { productId: "prod-mug", quantity: 1 },
        { productId: "prod-socks", quantity: 1 },
      ],
    });
    request.customer!.email = EMAIL;
    const placed = (await customer.createOrder(request)).order!;
    await customer.payOrder({ requestId: rid(), orderId: placed.id, paymentMethod: createOrderRequest().paymentMethod });
    order = (await customer.cancelOrder({ requestId: rid(), orderId: placed.id, reason: "moved to 9 Elm St, call +14155550100" })).order!;
  });
  afterAll(() => stack?.stop());

  it("when a seller filters ListOrders by a guessed customer email or user id, then the right guess and the wrong one get the same PERMISSION_DENIED", async () => {
    for (const [right, wrong] of [
      [{ customerEmail: EMAIL }, { customerEmail: "nobody@example.com" }],
      [{ userId: CUSTOMER }, { userId: "someone-else" }],
    ]) {
      const [a, b] = [await failure(north.listOrders(right!)), await failure(north.listOrders(wrong!))];
      expect([a.code, b.code]).toEqual([Code.PermissionDenied, Code.PermissionDenied]);
      expect(a.rawMessage).toBe(b.rawMessage);
    }
    expect((await customer.listOrders({ customerEmail: EMAIL })).orders.map((o) => o.id)).toContain(order.id);
  });

  it("when a seller reads GetOrderStatus of a refunded, cancelled order, then it gets no payment status, no reasons, and the customer's changes as 'customer'", async () => {
    const status = await north.getOrderStatus({ orderId: order.id });
    expect(status.paymentStatus).toBe(PaymentStatus.UNSPECIFIED);
    expect(status.history.map((change) => change.reason)).toEqual(status.history.map(() => ""));
    expect(status.history.map((change) => change.actor)).toEqual(status.history.map(() => "customer"));
    expect(status.items.map((item) => item.productId)).toEqual(["prod-mug"]);
    const staffView = await admin.getOrderStatus({ orderId: order.id });
    expect(staffView.paymentStatus).toBe(PaymentStatus.REFUNDED);
    expect(staffView.history.at(-1)).toMatchObject({ actor: CUSTOMER, reason: "moved to 9 Elm St, call +14155550100" });
  });

  it("when a seller reads the order by every read RPC and moves its item, then no answer holds a field the table keeps from sellers, field by field", async () => {
    const fresh = (await customer.createOrder(createOrderRequest({ userId: CUSTOMER, items: [{ productId: "prod-mug", quantity: 2 }] })))
      .order!;
    await customer.payOrder({ requestId: rid(), orderId: fresh.id, paymentMethod: createOrderRequest().paymentMethod });
    const answers: [string, DescMessage, MessageShape<DescMessage>][] = [];
    for await (const update of north.watchOrder({ orderId: fresh.id })) {
      answers.push(["WatchOrder", OrderSchema, update.order!]);
      break;
    }
    answers.push(["GetOrder (cancelled)", OrderSchema, (await north.getOrder({ orderId: order.id })).order!]);
    answers.push(["GetOrder (paid)", OrderSchema, (await north.getOrder({ orderId: fresh.id })).order!]);
    for (const listed of (await north.listOrders({ pageSize: 100 })).orders) answers.push(["ListOrders", OrderSchema, listed]);
    answers.push(["GetOrderStatus", GetOrderStatusResponseSchema, await north.getOrderStatus({ orderId: order.id })]);
    answers.push(["GetOrderHistory", GetOrderHistoryResponseSchema, await north.getOrderHistory({ orderId: order.id })]);
    const moved = await north.updateOrderItemStatus({
      requestId: rid(),
      orderId: fresh.id,
      itemId: fresh.items[0]!.id,
      status: ItemStatus.PROCESSING,
    });
    answers.push(["UpdateOrderItemStatus", OrderSchema, moved.order!]);
    for (const [rpc, desc, message] of answers) expect(leaks(desc, message, "seller"), rpc).toEqual([]);
    const staffSees = (await admin.getOrder({ orderId: fresh.id })).order!;
    expect(leaks(OrderSchema, staffSees, "seller").sort()).toEqual(
      expect.arrayContaining(["customer.email", "payment", "tax", "shipping", "total", "user_id"]),
    );
  });

  it("when a seller and a customer ask for counts per status, then each counts only the orders it may read", async () => {
    const southOnly = (
      await customer.createOrder(createOrderRequest({ userId: CUSTOMER, items: [{ productId: "prod-lamp", quantity: 1 }] }))
    ).order!;
    await admin.updateOrderStatus({ requestId: rid(), orderId: southOnly.id, status: OrderStatus.CONFIRMED });
    const total = (counts: { count: bigint }[]) => counts.reduce((sum, c) => sum + c.count, 0n);
    const northCounts = await north.listOrders({ includeStatusCounts: true, includeTotalSize: true, pageSize: 100 });
    expect(total(northCounts.statusCounts)).toBe(northCounts.totalSize);
    expect(northCounts.orders.map((o) => o.id)).not.toContain(southOnly.id);
    expect(northCounts.statusCounts.find((c) => c.status === OrderStatus.CONFIRMED)).toBeUndefined();
    const other = stack.app.grpc(OrderService, await token("someone-with-one-order"));
    await other.createOrder(createOrderRequest({ userId: "someone-with-one-order", items: [{ productId: "prod-lamp", quantity: 1 }] }));
    const mine = await customer.listOrders({ includeStatusCounts: true, includeTotalSize: true, pageSize: 100 });
    expect(total(mine.statusCounts)).toBe(mine.totalSize);
    expect(mine.orders.every((o) => o.userId === CUSTOMER)).toBe(true);
    const theirs = await other.listOrders({ includeStatusCounts: true });
    expect(theirs.statusCounts).toEqual([{ $typeName: "shop.order.v1.StatusCount", status: OrderStatus.PENDING, count: 1n }]);
  });
});

import { randomUUID } from "node:crypto";
import { Code, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InsufficientStockSchema, PriceMismatchSchema, UnknownProductsSchema } from "../../gen/shop/order/v1/order_errors_pb.js";
import { ItemStatus, OrderService, OrderStatus, type Order } from "../../gen/shop/order/v1/order_pb.js";
import { eventTypes, query, stockOf } from "../support/db.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { failure, reasonOf } from "../support/errors.js";

const rid = () => randomUUID();
const usd = (amountMinor: bigint) => ({ currencyCode: "USD", amountMinor });

describe("order items: edits while open, fulfilment per item", () => {
  let app: TestApp;
  let orders: Client<typeof OrderService>;
  beforeAll(async () => {
    app = await startTestApp({ PRODUCT_CACHE_TTL_MS: "0" });
    orders = app.connect(OrderService);
  });
  afterAll(() => app?.stop());

  const place = async (overrides = {}) => (await orders.createOrder(createOrderRequest(overrides))).order!;
  const setStatus = (order: Order, status: OrderStatus, extra = {}) =>
    orders.updateOrderStatus({ requestId: rid(), orderId: order.id, status, ...extra }).then((r) => r.order!);
  const itemStatus = (order: Order, itemId: string, status: ItemStatus) =>
    orders.updateOrderItemStatus({ requestId: rid(), orderId: order.id, itemId, status }).then((r) => r.order!);

  it("when an item is added, then it is priced now, totals are recomputed, and stock is reserved for it", async () => {
    const before = await stockOf(app.databaseUrl, "prod-socks");
    const order = await place();
    const added = (
      await orders.addOrderItem({
        requestId: rid(),
        orderId: order.id,
        expectedVersion: order.version,
        item: { productId: "prod-socks", quantity: 2, expectedUnitPrice: usd(1500n) },
      })
    ).order!;
    expect(added.items.map((i) => [i.productId, i.quantity])).toEqual([
      ["prod-mug", 2],
      ["prod-tee", 1],
      ["prod-socks", 2],
    ]);
    // 4900 + 3000 = 7900: free shipping now, tax 632.
    expect(added).toMatchObject({
      subtotal: usd(7900n),
      tax: usd(632n),
      shipping: usd(0n),
      total: usd(8532n),
      version: order.version + 1n,
    });
    expect((await stockOf(app.databaseUrl, "prod-socks")).available).toBe(before.available - 2);
    expect((await eventTypes(app.databaseUrl, order.id)).at(-1)).toBe("OrderItemsChanged");
  });

  it("when catalog prices change, then existing lines keep their price and only the new line uses the new one", async () => {
    const order = await place();
    await query(app.databaseUrl, `update catalog_products set price_minor = 1300 where id = 'prod-mug'`);
    try {
      const added = (await orders.addOrderItem({ requestId: rid(), orderId: order.id, item: { productId: "prod-cap", quantity: 1 } }))
        .order!;
      expect(added.items.find((i) => i.productId === "prod-mug")?.unitPrice).toMatchObject(usd(1250n));
      const mismatch = await failure(
        orders.addOrderItem({
          requestId: rid(),
          orderId: order.id,
          item: { productId: "prod-notebook", quantity: 1, expectedUnitPrice: usd(100n) },
        }),
      );
      expect(mismatch.code).toBe(Code.FailedPrecondition);
      expect(mismatch.findDetails(PriceMismatchSchema)[0]?.lines[0]).toMatchObject({
        productId: "prod-notebook",
        expected: usd(100n),
        actual: usd(899n),
      });
    } finally {
      await query(app.databaseUrl, `update catalog_products set price_minor = 1250 where id = 'prod-mug'`);
    }
  });

  it("when the added product is already there, unknown, or off sale, then ALREADY_EXISTS, INVALID_ARGUMENT, FAILED_PRECONDITION", async () => {
    const order = await place();
    const add = (productId: string) =>
      failure(orders.addOrderItem({ requestId: rid(), orderId: order.id, item: { productId, quantity: 1 } }));
    expect((await add("prod-mug")).code).toBe(Code.AlreadyExists);
    const unknown = await add("prod-nope");
    expect(unknown.code).toBe(Code.InvalidArgument);
    expect(unknown.findDetails(UnknownProductsSchema)[0]?.productIds).toEqual(["prod-nope"]);
    const inactive = await add("prod-retired");
    expect([inactive.code, reasonOf(inactive)]).toEqual([Code.FailedPrecondition, "PRODUCTS_INACTIVE"]);
    expect((await failure(orders.addOrderItem({ requestId: rid(), orderId: order.id }))).code).toBe(Code.InvalidArgument);
  });

  it("when a quantity exceeds stock, then FAILED_PRECONDITION with the shortage and nothing changes", async () => {
    const order = await place({ items: [{ productId: "prod-poster", quantity: 1 }] });
    const stock = await stockOf(app.databaseUrl, "prod-poster");
    const error = await failure(
      orders.updateOrderItemQuantity({ requestId: rid(), orderId: order.id, itemId: order.items[0]!.id, quantity: 50 }),
    );
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.findDetails(InsufficientStockSchema)[0]?.shortages[0]).toMatchObject({ productId: "prod-poster", requested: 50 });
    expect((await orders.getOrder({ orderId: order.id })).order).toEqual(order);
    expect(await stockOf(app.databaseUrl, "prod-poster")).toEqual(stock);
    const zero = await failure(
      orders.updateOrderItemQuantity({ requestId: rid(), orderId: order.id, itemId: order.items[0]!.id, quantity: 0 }),
    );
    expect(zero.code).toBe(Code.InvalidArgument);
  });

  it("when quantities change and items are removed, then totals follow; the last item cannot be removed", async () => {
    const order = await place();
    const [mug, tee] = order.items;
    const more = (await orders.updateOrderItemQuantity({ requestId: rid(), orderId: order.id, itemId: mug!.id, quantity: 4 })).order!;
    expect(more.subtotal).toMatchObject(usd(7400n));
    const less = (await orders.removeOrderItem({ requestId: rid(), orderId: order.id, itemId: tee!.id })).order!;
    expect(less).toMatchObject({ subtotal: usd(5000n), shipping: usd(0n), total: usd(5400n) });
    const last = await failure(orders.removeOrderItem({ requestId: rid(), orderId: order.id, itemId: mug!.id }));
    expect(reasonOf(last)).toBe("LAST_ITEM");
    const missing = await failure(orders.removeOrderItem({ requestId: rid(), orderId: order.id, itemId: randomUUID() }));
    expect(missing.code).toBe(Code.NotFound);
  });

  it("when the order is paid, then items can be edited until fulfilment starts, and no longer once it is PROCESSING", async () => {
    const order = await place();
    await orders.payOrder({ requestId: rid(), orderId: order.id, paymentMethod: createOrderRequest().paymentMethod });
    const added = await orders.addOrderItem({ requestId: rid(), orderId: order.id, item: { productId: "prod-cap", quantity: 1 } });
    expect(added.order!.items).toHaveLength(order.items.length + 1);
    await setStatus(added.order!, OrderStatus.PROCESSING);
    const error = await failure(orders.removeOrderItem({ requestId: rid(), orderId: order.id, itemId: added.order!.items.at(-1)!.id }));
    expect([error.code, reasonOf(error)]).toEqual([Code.FailedPrecondition, "ORDER_STATUS_FORBIDS"]);
  });

  it("when one item is cancelled and the other delivered, then its stock returns and the order completes as DELIVERED", async () => {
    const capBefore = await stockOf(app.databaseUrl, "prod-cap");
    // UPI: a card order would wait for its capture before anything ships.
    let order = await place({
      paymentMethod: { method: { case: "upi" as const, value: { vpa: "ann@okbank" } } },
      items: [
        { productId: "prod-cap", quantity: 2 },
        { productId: "prod-lamp", quantity: 1 },
      ],
    });
    const [cap, lamp] = order.items;
    await setStatus(order, OrderStatus.CONFIRMED);
    order = await itemStatus(order, cap!.id, ItemStatus.CANCELLED);
    expect(await stockOf(app.databaseUrl, "prod-cap")).toEqual(capBefore);
    const again = await failure(itemStatus(order, cap!.id, ItemStatus.PROCESSING));
    expect(reasonOf(again)).toBe("ILLEGAL_ITEM_TRANSITION");
    const early = await failure(itemStatus(order, lamp!.id, ItemStatus.DELIVERED));
    expect(reasonOf(early)).toBe("ORDER_STATUS_FORBIDS");

    await setStatus(order, OrderStatus.PROCESSING);
    order = await setStatus(order, OrderStatus.SHIPPED, { trackingNumber: "PARCEL1" });
    expect(order.items.map((i) => i.status)).toEqual([ItemStatus.CANCELLED, ItemStatus.SHIPPED]);
    order = await itemStatus(order, lamp!.id, ItemStatus.DELIVERED);
    expect(order.status).toBe(OrderStatus.DELIVERED);
    expect((await eventTypes(app.databaseUrl, order.id)).slice(-4)).toEqual([
      "OrderItemStatusChanged",
      "OrderStatusChanged",
      "OrderDelivered",
      "OrderCompleted",
    ]);
  });

  it("when every item is cancelled, then the order is cancelled and all its stock released", async () => {
    const before = await stockOf(app.databaseUrl, "prod-notebook");
    let order = await place({ items: [{ productId: "prod-notebook", quantity: 3 }] });
    await setStatus(order, OrderStatus.CONFIRMED);
    order = await itemStatus(order, order.items[0]!.id, ItemStatus.CANCELLED);
    expect(order).toMatchObject({ status: OrderStatus.CANCELLED, cancelReason: "every item was cancelled" });
    expect(await stockOf(app.databaseUrl, "prod-notebook")).toEqual(before);
  });
});

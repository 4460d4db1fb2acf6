import { fromBinary } from "@bufbuild/protobuf";
import { Code, type Client } from "@connectrpc/connect";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CartAdjustments_Reason, CartAdjustmentsSchema, CartService } from "../../gen/shop/cart/v1/cart_pb.js";
import { ItemStatus as EventItemStatus, OrderEventSchema } from "../../gen/shop/order/events/v1/order_events_pb.js";
import { InactiveProductsSchema, InsufficientStockSchema } from "../../gen/shop/order/v1/order_errors_pb.js";
import { ItemStatus, OrderService, OrderStatus, type Order } from "../../gen/shop/order/v1/order_pb.js";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { eventTypes, query, setStock } from "../support/db.js";
import { failure, reasonOf } from "../support/errors.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startConsumer } from "../support/kafka-consumer.js";
import { startAppWithReferenceCatalogOverGrpc } from "../support/reference-catalog-server.js";
import type { TestApp } from "../support/test-app.js";
import { sellerToken, token } from "../support/tokens.js";
import { validRequests } from "../support/valid-requests.js";
import { SERVICES } from "../../scripts/access-doc.js";

const drain = async (stream: AsyncIterable<unknown>) => {
  for await (const _ of stream) return;
};

/*
 * The marketplace rules over gRPC, against the reference catalog served over gRPC of its own:
 * seller-north sells the mug and the hoodie (by variant), seller-south the socks and the lamp.
 */
const rid = () => randomUUID();
const usd = (amountMinor: bigint) => ({ currencyCode: "USD", amountMinor });
const CUSTOMER = "market-customer";

async function variantStock(databaseUrl: string, variantId: string) {
  const [row] = await query<{ available: number; reserved: number }>(
    databaseUrl,
    `select available, reserved from catalog_variants where id = $1`,
    [variantId],
  );
  return row!;
}

describe("marketplace: sellers, variants and items per seller", () => {
  let stack: Awaited<ReturnType<typeof startAppWithReferenceCatalogOverGrpc>>;
  let app: TestApp;
  let admin: Client<typeof OrderService>;
  let customer: Client<typeof OrderService>;
  let north: Client<typeof OrderService>;
  let south: Client<typeof OrderService>;

  beforeAll(async () => {
    // Cart holds off: the checkout fixes below are about stock that moves after a cart was filled.
    stack = await startAppWithReferenceCatalogOverGrpc({ CART_RESERVATION_MINUTES: "0" });
    app = stack.app;
    admin = app.grpc(OrderService);
    customer = app.grpc(OrderService, await token(CUSTOMER));
    north = app.grpc(OrderService, await sellerToken("shop-north-clerk", "seller-north"));
    south = app.grpc(OrderService, await sellerToken("shop-south-clerk", "seller-south"));
  });
  afterAll(() => stack?.stop());

  const place = async (items: { productId: string; variantId?: string; quantity: number }[]) =>
    // UPI: a card order would wait for its capture before its sellers may ship.
    (
      await customer.createOrder(
        createOrderRequest({ userId: CUSTOMER, items, paymentMethod: { method: { case: "upi", value: { vpa: "ann@okbank" } } } }),
      )
    ).order!;
  const split = () =>
    place([
      { productId: "prod-mug", quantity: 1 },
      { productId: "prod-hoodie", variantId: "hoodie-m-grey", quantity: 1 },
      { productId: "prod-socks", quantity: 2 },
    ]);
  const confirm = (order: Order) =>
    admin.updateOrderStatus({ requestId: rid(), orderId: order.id, status: OrderStatus.CONFIRMED }).then((r) => r.order!);
  const move = (seller: Client<typeof OrderService>, order: Order, itemId: string, status: ItemStatus) =>
    seller.updateOrderItemStatus({ requestId: rid(), orderId: order.id, itemId, status }).then((r) => r.order!);
  const itemOf = (order: Order, productId: string) => order.items.find((item) => item.productId === productId)!;

  it("when a variant is ordered, then the item keeps its seller, the variant's sku, attributes and price, and the variant's stock is reserved", async () => {
    const before = await variantStock(app.databaseUrl, "hoodie-l-navy");
    const order = await place([
      { productId: "prod-hoodie", variantId: "hoodie-l-navy", quantity: 2 },
      { productId: "prod-mug", quantity: 1 },
    ]);
    expect(order.items[0]).toMatchObject({
      productId: "prod-hoodie",
      variantId: "hoodie-l-navy",
      sellerId: "seller-north",
      sku: "HOOD-001-L-NVY",
      variantAttributes: { size: "L", colour: "navy" },
      unitPrice: usd(5900n),
      lineTotal: usd(11800n),
    });
    expect(order.items[1]).toMatchObject({ productId: "prod-mug", variantId: "", sellerId: "seller-north", sku: "MUG-001" });
    expect(await variantStock(app.databaseUrl, "hoodie-l-navy")).toEqual({
      available: before.available - 2,
      reserved: before.reserved + 2,
    });
  });

  it("when a line names no variant of a product sold by variant, one it lacks, or one for a plain product, then INVALID_ARGUMENT names each line and nothing is reserved", async () => {
    const before = await variantStock(app.databaseUrl, "hoodie-s-grey");
    const error = await failure(
      customer.createOrder(
        createOrderRequest({
          userId: CUSTOMER,
          items: [
            { productId: "prod-hoodie", quantity: 1 },
            { productId: "prod-hoodie", variantId: "hoodie-xxl-pink", quantity: 1 },
            { productId: "prod-mug", variantId: "hoodie-s-grey", quantity: 1 },
          ],
        }),
      ),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(reasonOf(error)).toBe("VARIANT_CHOICE");
    const violations = error.findDetails(BadRequestSchema)[0]!.fieldViolations;
    expect(violations.map((v) => v.field)).toEqual(["items[0].variant_id", "items[1].variant_id", "items[2].variant_id"]);
    expect(violations[0]!.description).toContain("hoodie-s-grey (S, grey)");
    expect(violations[2]!.description).toBe('product "prod-mug" has no variants; send no variant_id');
    expect(await variantStock(app.databaseUrl, "hoodie-s-grey")).toEqual(before);
  });

  it("when a variant is off sale or short, then FAILED_PRECONDITION names the variant", async () => {
    const inactive = await failure(place([{ productId: "prod-hoodie", variantId: "hoodie-xl-navy", quantity: 1 }]));
    expect(inactive.findDetails(InactiveProductsSchema)[0]?.productIds).toEqual(["prod-hoodie/hoodie-xl-navy"]);
    const { available } = await variantStock(app.databaseUrl, "hoodie-l-navy");
    const short = await failure(place([{ productId: "prod-hoodie", variantId: "hoodie-l-navy", quantity: available + 1 }]));
    expect(short.code).toBe(Code.FailedPrecondition);
    expect(short.findDetails(InsufficientStockSchema)[0]?.shortages).toEqual([
      expect.objectContaining({ productId: "prod-hoodie", variantId: "hoodie-l-navy", requested: available + 1, available }),
    ]);
  });

  it("when a seller reads an order split across two sellers, then it sees only its own items and what shipping needs, never payment, totals or the customer's email", async () => {
    const order = await split();
    const seen = (await north.getOrder({ orderId: order.id })).order!;
    expect(seen.items.map((item) => item.productId)).toEqual(["prod-mug", "prod-hoodie"]);
    expect(seen.items.every((item) => item.sellerId === "seller-north")).toBe(true);
    expect(seen.userId).toBe("");
    expect([seen.payment, seen.total, seen.tax, seen.shipping]).toEqual([undefined, undefined, undefined, undefined]);
    expect(seen.subtotal).toEqual(expect.objectContaining(usd(1250n + 5400n)));
    expect(seen.customer).toMatchObject({ email: "", firstName: "Ann", lastName: "Lee" });
    expect(seen.shippingAddress?.line1).toBe("1 Main St");
    const theirs = (await south.getOrderStatus({ orderId: order.id })).items;
    expect(theirs.map((item) => item.productId)).toEqual(["prod-socks"]);
  });

  it("when a seller lists orders, then it gets those holding its items (with only its items), and naming another seller finds nothing", async () => {
    const both = await split();
    const southOnly = await place([{ productId: "prod-lamp", quantity: 1 }]);
    const listed = (await north.listOrders({ pageSize: 100, includeTotalSize: true })).orders;
    const ids = listed.map((o) => o.id);
    expect(ids).toContain(both.id);
    expect(ids).not.toContain(southOnly.id);
    expect(listed.flatMap((o) => o.items).every((item) => item.sellerId === "seller-north")).toBe(true);
    expect((await north.listOrders({ sellerId: "seller-south" })).orders).toEqual([]);
    expect((await south.listOrders({ pageSize: 100 })).orders.map((o) => o.id)).toContain(southOnly.id);
  });

  it("when staff filter by seller or order number and ask for counts per status, then only matching orders come, counted by status", async () => {
    const northOnly = await place([{ productId: "prod-mug", quantity: 1 }]);
    const southOnly = await confirm(await place([{ productId: "prod-lamp", quantity: 1 }]));
    const listed = await admin.listOrders({ sellerId: "seller-south", pageSize: 100, includeStatusCounts: true, includeTotalSize: true });
    const ids = listed.orders.map((o) => o.id);
    expect(ids).toContain(southOnly.id);
    expect(ids).not.toContain(northOnly.id);
    expect(listed.orders.every((o) => o.items.some((item) => item.sellerId === "seller-south"))).toBe(true);
    const counted = listed.statusCounts.reduce((sum, c) => sum + c.count, 0n);
    expect(counted).toBe(listed.totalSize);
    expect(listed.statusCounts.find((c) => c.status === OrderStatus.CONFIRMED)?.count).toBeGreaterThanOrEqual(1n);
    const confirmedOnly = await admin.listOrders({
      sellerId: "seller-south",
      statuses: [OrderStatus.CONFIRMED],
      includeStatusCounts: true,
    });
    expect(confirmedOnly.orders.every((o) => o.status === OrderStatus.CONFIRMED)).toBe(true);
    expect(confirmedOnly.statusCounts).toEqual(listed.statusCounts);
    const byNumber = await admin.listOrders({ orderNumber: northOnly.orderNumber.toLowerCase() });
    expect(byNumber.orders.map((o) => o.id)).toEqual([northOnly.id]);
    expect((await failure(admin.listOrders({ orderNumber: "ORD 1; drop" }))).code).toBe(Code.InvalidArgument);
  });

  it("when a seller asks for an order without its items, then NOT_FOUND, as for a missing order", async () => {
    const southOnly = await place([{ productId: "prod-lamp", quantity: 1 }]);
    expect((await failure(north.getOrder({ orderId: southOnly.id }))).code).toBe(Code.NotFound);
    expect((await failure(north.getOrderStatus({ orderId: southOnly.id }))).code).toBe(Code.NotFound);
    const confirmed = await confirm(southOnly);
    const item = confirmed.items[0]!;
    expect((await failure(move(north, confirmed, item.id, ItemStatus.PROCESSING))).code).toBe(Code.NotFound);
  });

  it("when a seller moves another seller's item in a shared order, then NOT_FOUND and the item does not move", async () => {
    const order = await confirm(await split());
    const socks = itemOf(order, "prod-socks");
    const error = await failure(move(north, order, socks.id, ItemStatus.CANCELLED));
    expect(error.code).toBe(Code.NotFound);
    const after = (await admin.getOrder({ orderId: order.id })).order!;
    expect(itemOf(after, "prod-socks").status).toBe(ItemStatus.PENDING);
    expect(after.version).toBe(order.version);
  });

  it("when a seller calls any RPC of any service but reading orders and moving its own items, then PERMISSION_DENIED, every RPC taken from the descriptors", async () => {
    const order = await confirm(await split());
    const requests = validRequests({ id: order.id, itemIds: order.items.map((item) => item.id) });
    const sellerMay = ["GetOrder", "ListOrders", "GetOrderStatus", "GetOrderHistory", "WatchOrder", "UpdateOrderItemStatus"];
    // FulfillmentService: its own work (hold, release, ship, track, list); re-planning is staff's.
    const sellerMayFulfil = [
      "ListFulfillmentOrders",
      "HoldFulfillmentOrder",
      "ReleaseFulfillmentOrder",
      "CreateShipment",
      "UpdateShipmentStatus",
      "UpdateShipmentTracking",
      "ListShipments",
      // OrderChangeService: deciding and receiving returns and claims of its own items.
      "ConfirmOrderChange",
      "DeclineOrderChange",
      "ReceiveReturn",
      "GetOrderChange",
      "ListOrderChanges",
    ];
    const bearer = await sellerToken("shop-north-clerk", "seller-north");
    const answers: Record<string, string> = {};
    for (const { service } of SERVICES) {
      const client = app.connect(service as typeof OrderService, bearer) as unknown as Record<string, (r: unknown) => unknown>;
      for (const method of service.methods.filter((m) => !sellerMay.includes(m.name) && !sellerMayFulfil.includes(m.name))) {
        const call = client[method.localName]!(requests[method.localName]!());
        const done = method.methodKind === "server_streaming" ? drain(call as AsyncIterable<unknown>) : (call as Promise<unknown>);
        answers[method.name] = Code[(await failure(done)).code];
      }
    }
    const all = SERVICES.reduce((sum, { service }) => sum + service.methods.length, 0);
    expect(Object.keys(answers)).toHaveLength(all - sellerMay.length - sellerMayFulfil.length);
    expect(Object.entries(answers).filter(([, code]) => code !== "PermissionDenied")).toEqual([]);
  });

  it("when a customer's token carries a seller_id claim without the seller role, then the claim is ignored: still only the customer's own orders", async () => {
    const mine = await place([{ productId: "prod-mug", quantity: 1 }]);
    const other = (await admin.createOrder(createOrderRequest({ userId: "someone-else", items: [{ productId: "prod-mug", quantity: 1 }] })))
      .order!;
    const forged = app.grpc(OrderService, await token(CUSTOMER, ["customer"], { claims: { seller_id: "seller-north" } }));
    const ids = (await forged.listOrders({ pageSize: 100 })).orders.map((o) => o.id);
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(other.id);
    expect((await failure(forged.getOrder({ orderId: other.id }))).code).toBe(Code.NotFound);
  });

  it("when a token claims the seller role without a seller id, then UNAUTHENTICATED", async () => {
    const anonymous = app.grpc(OrderService, await token("shop-clerk", ["seller"]));
    expect((await failure(anonymous.listOrders({}))).code).toBe(Code.Unauthenticated);
  });

  it("when an order is split across two sellers, then it completes only when both sellers' items are final", async () => {
    let order = await confirm(await split());
    const [mug, hoodie, socks] = [itemOf(order, "prod-mug"), itemOf(order, "prod-hoodie"), itemOf(order, "prod-socks")];
    for (const item of [mug, hoodie]) {
      for (const status of [ItemStatus.PROCESSING, ItemStatus.SHIPPED, ItemStatus.DELIVERED]) await move(north, order, item.id, status);
    }
    order = (await admin.getOrder({ orderId: order.id })).order!;
    expect(order.status).toBe(OrderStatus.PROCESSING);
    expect(await eventTypes(app.databaseUrl, order.id)).not.toContain("OrderCompleted");

    await move(south, order, socks.id, ItemStatus.PROCESSING);
    order = await move(south, order, socks.id, ItemStatus.SHIPPED);
    expect(order.status).toBe(OrderStatus.SHIPPED);
    expect(await eventTypes(app.databaseUrl, order.id)).not.toContain("OrderCompleted");
    order = await move(south, order, socks.id, ItemStatus.DELIVERED);
    expect(order.items.map((item) => item.status)).toEqual([ItemStatus.DELIVERED]);
    const whole = (await admin.getOrder({ orderId: order.id })).order!;
    expect(whole.status).toBe(OrderStatus.DELIVERED);
    expect((await eventTypes(app.databaseUrl, order.id)).at(-1)).toBe("OrderCompleted");
  });

  it("when orders are placed, then each item gets an OrderItemCreated in the order's transaction, and a seller's view built from the Kafka records alone equals its ListOrders", async () => {
    const consumer = await startConsumer(inject("kafkaBrokers"), app.topic);
    try {
      const first = await confirm(await split());
      await move(north, first, itemOf(first, "prod-hoodie").id, ItemStatus.PROCESSING);
      await move(north, first, itemOf(first, "prod-mug").id, ItemStatus.CANCELLED);
      await place([{ productId: "prod-hoodie", variantId: "hoodie-s-grey", quantity: 3 }]);
      const edited = await place([{ productId: "prod-socks", quantity: 1 }]);
      await admin.addOrderItem({ requestId: rid(), orderId: edited.id, item: { productId: "prod-mug", quantity: 2 } });
      const cancelled = await split();
      await admin.cancelOrder({ requestId: rid(), orderId: cancelled.id, reason: "customer changed mind" });

      const [created, ...rest] = await eventTypes(app.databaseUrl, first.id);
      expect([created, ...rest.slice(0, 3)]).toEqual(["OrderCreated", "OrderItemCreated", "OrderItemCreated", "OrderItemCreated"]);
      const [sameTransaction] = await query<{ n: string }>(
        app.databaseUrl,
        `select count(distinct occurred_at) as n from outbox_events where aggregate_id = $1 and event_type in ('shop.order.v1.OrderCreated', 'shop.order.v1.OrderItemCreated')`,
        [first.id],
      );
      expect(sameTransaction!.n).toBe("1");

      const expected = await sellerViewFromListOrders(north);
      const total = await query<{ n: string }>(app.databaseUrl, `select count(*) as n from outbox_events`);
      const records = await consumer.until((all) => all.length >= Number(total[0]!.n));
      expect(
        sellerViewFromRecords(
          records.map((r) => r.value),
          "seller-north",
        ),
      ).toEqual(expected);
    } finally {
      await consumer.stop();
    }
  });

  it("when a cart holds two variants and one runs short, then checkout fixes that variant's line only and places no order", async () => {
    const cartUser = `cart-${randomUUID().slice(0, 8)}`;
    const carts = app.grpc(CartService, await token(cartUser));
    const noVariant = await failure(carts.addItem({ requestId: rid(), productId: "prod-hoodie", quantity: 1 }));
    expect(noVariant.code).toBe(Code.InvalidArgument);
    await carts.addItem({ requestId: rid(), productId: "prod-hoodie", variantId: "hoodie-s-grey", quantity: 2 });
    const cart = (await carts.addItem({ requestId: rid(), productId: "prod-hoodie", variantId: "hoodie-m-grey", quantity: 3 })).cart!;
    expect(cart.items.map((item) => [item.variantId, item.sku, item.sellerId, item.quantity])).toEqual([
      ["hoodie-s-grey", "HOOD-001-S-GRY", "seller-north", 2],
      ["hoodie-m-grey", "HOOD-001-M-GRY", "seller-north", 3],
    ]);
    const { available } = await variantStock(app.databaseUrl, "hoodie-m-grey");
    await setStock(app.databaseUrl, 1, { productId: "prod-hoodie", variantId: "hoodie-m-grey" });
    try {
      const request = createOrderRequest();
      const error = await failure(
        carts.checkout({
          requestId: rid(),
          customer: request.customer,
          shippingAddress: request.shippingAddress,
          paymentMethod: request.paymentMethod,
        }),
      );
      expect(error.code).toBe(Code.Aborted);
      expect(error.findDetails(CartAdjustmentsSchema)[0]?.adjustments).toEqual([
        expect.objectContaining({
          productId: "prod-hoodie",
          variantId: "hoodie-m-grey",
          reason: CartAdjustments_Reason.SHORT_OF_STOCK,
          oldQuantity: 3,
          newQuantity: 1,
        }),
      ]);
      const fixed = (await carts.getCart({})).cart!;
      expect(fixed.items.map((item) => [item.variantId, item.quantity])).toEqual([
        ["hoodie-s-grey", 2],
        ["hoodie-m-grey", 1],
      ]);
    } finally {
      await setStock(app.databaseUrl, available, { productId: "prod-hoodie", variantId: "hoodie-m-grey" });
    }
  });
});

type SellerView = Record<string, { itemId: string; productId: string; variantId: string; quantity: number; status: string }[]>;

/** What a seller's ListOrders says: its orders, each with its items (id, product, variant, quantity, status). */
async function sellerViewFromListOrders(seller: Client<typeof OrderService>): Promise<SellerView> {
  const view: SellerView = {};
  let pageToken = "";
  do {
    const page = await seller.listOrders({ pageSize: 100, pageToken });
    for (const order of page.orders) {
      view[order.id] = order.items
        .map((item) => ({
          itemId: item.id,
          productId: item.productId,
          variantId: item.variantId,
          quantity: item.quantity,
          status: ItemStatus[item.status],
        }))
        .sort((a, b) => a.itemId.localeCompare(b.itemId));
    }
    pageToken = page.nextPageToken;
  } while (pageToken);
  return view;
}

/**
 * A shop service's view kept from the topic alone: items created, the item list after edits,
 * and each item's moves, for one seller. Deleted orders drop out, as ListOrders drops them.
 */
function sellerViewFromRecords(values: Buffer[], sellerId: string): SellerView {
  const items = new Map<string, Map<string, SellerView[string][number]>>();
  const orderItems = (orderId: string) => items.get(orderId) ?? items.set(orderId, new Map()).get(orderId)!;
  for (const value of values) {
    const event = fromBinary(OrderEventSchema, value);
    const { payload } = event;
    if (payload.case === "orderItemCreated" && payload.value.sellerId === sellerId) {
      const { itemId, productId, variantId, quantity, status } = payload.value;
      orderItems(event.orderId).set(itemId, { itemId, productId, variantId, quantity, status: EventItemStatus[status] });
    } else if (payload.case === "orderItemsChanged") {
      const mine = payload.value.items.filter((item) => item.sellerId === sellerId);
      const current = new Map(
        mine.map((item) => [
          item.itemId,
          {
            itemId: item.itemId,
            productId: item.productId,
            variantId: item.variantId,
            quantity: item.quantity,
            status: EventItemStatus[item.status],
          },
        ]),
      );
      if (current.size || items.has(event.orderId)) items.set(event.orderId, current);
    } else if (payload.case === "orderItemStatusChanged" && payload.value.sellerId === sellerId) {
      const item = orderItems(event.orderId).get(payload.value.itemId);
      if (item) item.status = EventItemStatus[payload.value.toStatus];
    } else if (payload.case === "orderDeleted") {
      items.delete(event.orderId);
    }
  }
  const view: SellerView = {};
  for (const [orderId, byId] of items) {
    if (byId.size) view[orderId] = [...byId.values()].sort((a, b) => a.itemId.localeCompare(b.itemId));
  }
  return view;
}

import { fromBinary } from "@bufbuild/protobuf";
import { Code, type Client } from "@connectrpc/connect";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { OrderEventSchema } from "../../gen/shop/order/events/v1/order_events_pb.js";
import {
  FulfillmentOrderStatus,
  FulfillmentService,
  HoldReason,
  ShipmentStatus,
  type FulfillmentOrder,
} from "../../gen/shop/order/v1/fulfillment_pb.js";
import { ItemStatus, OrderService, OrderStatus, type Order } from "../../gen/shop/order/v1/order_pb.js";
import { query, setStockAt, stockAt } from "../support/db.js";
import { failure, reasonOf } from "../support/errors.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startConsumer } from "../support/kafka-consumer.js";
import { startAppWithReferenceCatalogProcess } from "../support/reference-catalog-process.js";
import type { TestApp } from "../support/test-app.js";
import { sellerToken } from "../support/tokens.js";

const rid = () => randomUUID();
const upi = { method: { case: "upi" as const, value: { vpa: "ann@okbank" } } };
const card = { method: { case: "card" as const, value: { paymentToken: "tok_visa_ok", brand: "VISA", last4: "4242" } } };

/*
 * Fulfilment over gRPC, the reference Inventory in a process of its own: fulfilment orders per
 * seller and location, holds, partial shipments with their own tracking, and the order following.
 * seller-north keeps the mug at north-east and north-west, seller-south the socks at south-main.
 */
describe("fulfilment: shipments per seller and location", () => {
  let stack: Awaited<ReturnType<typeof startAppWithReferenceCatalogProcess>>;
  let app: TestApp;
  let orders: Client<typeof OrderService>;
  let fulfilment: Client<typeof FulfillmentService>;
  let north: Client<typeof FulfillmentService>;
  let south: Client<typeof FulfillmentService>;

  beforeAll(async () => {
    stack = await startAppWithReferenceCatalogProcess();
    app = stack.app;
    orders = app.grpc(OrderService);
    fulfilment = app.grpc(FulfillmentService);
    north = app.grpc(FulfillmentService, await sellerToken("north-clerk", "seller-north"));
    south = app.grpc(FulfillmentService, await sellerToken("south-clerk", "seller-south"));
  });
  afterAll(() => stack?.stop());

  beforeEach(async () => {
    await setStockAt(app.databaseUrl, "prod-mug", { "north-east": 100, "north-west": 100 });
    await setStockAt(app.databaseUrl, "prod-socks", { "south-main": 100 });
  });

  const place = async (items: { productId: string; quantity: number }[], paymentMethod: typeof upi | typeof card = upi): Promise<Order> => {
    const order = (await orders.createOrder(createOrderRequest({ items, paymentMethod }))).order!;
    await orders.updateOrderStatus({ requestId: rid(), orderId: order.id, status: OrderStatus.CONFIRMED });
    return order;
  };
  const fulfilmentOf = async (orderId: string) => (await fulfilment.listFulfillmentOrders({ orderId })).fulfillmentOrders;
  const ship = (fo: FulfillmentOrder, lines: [number, number][], tracking: string, client = fulfilment) =>
    client.createShipment({
      requestId: rid(),
      fulfillmentOrderId: fo.id,
      lines: lines.map(([line, quantity]) => ({ lineId: fo.lines[line]!.id, quantity })),
      carrier: "UPS",
      trackingNumber: tracking,
      trackingUrl: `https://track.example/${tracking}`,
      handedOver: true,
    });

  it("when 3 of a line remain and two shipments of 2 race, then exactly one succeeds and the committed stock equals what shipped", async () => {
    const order = await place([{ productId: "prod-mug", quantity: 3 }]);
    const [fo] = await fulfilmentOf(order.id);
    const results = await Promise.allSettled([ship(fo!, [[0, 2]], "RACE-1"), ship(fo!, [[0, 2]], "RACE-2")]);
    expect(results.map((result) => result.status).sort()).toEqual(["fulfilled", "rejected"]);
    const loser = results.find((result) => result.status === "rejected") as PromiseRejectedResult;
    expect(reasonOf(loser.reason)).toBe("NOT_ENOUGH_REMAINING");
    const [after] = await fulfilmentOf(order.id);
    expect(after!.lines[0]!.remainingQuantity).toBe(1);
    expect(after!.shipments).toHaveLength(1);
    const [reservation] = await query<{ allocations: { held: number; committed: number }[] }>(
      app.databaseUrl,
      `select allocations from catalog_reservations where id = $1`,
      [order.id],
    );
    expect(reservation!.allocations.reduce((sum, row) => sum + row.committed, 0)).toBe(2);
    expect(reservation!.allocations.reduce((sum, row) => sum + row.held, 0)).toBe(1);
    expect((await stockAt(app.databaseUrl, "prod-mug"))["north-east"]).toEqual({ available: 97, reserved: 1 });
  });

  it("when 1 of 3 units is held, then a new fulfilment order holds it ON_HOLD and the other 2 stay OPEN; two holds need two releases", async () => {
    const order = await place([{ productId: "prod-mug", quantity: 3 }]);
    const [fo] = await fulfilmentOf(order.id);
    const { held, remainder } = await fulfilment.holdFulfillmentOrder({
      requestId: rid(),
      fulfillmentOrderId: fo!.id,
      reason: HoldReason.HIGH_RISK_OF_FRAUD,
      note: "check the card",
      lines: [{ lineId: fo!.lines[0]!.id, quantity: 1 }],
    });
    expect([held!.status, held!.lines[0]!.remainingQuantity]).toEqual([FulfillmentOrderStatus.ON_HOLD, 1]);
    expect([remainder!.status, remainder!.lines[0]!.remainingQuantity]).toEqual([FulfillmentOrderStatus.OPEN, 2]);
    await fulfilment.holdFulfillmentOrder({
      requestId: rid(),
      fulfillmentOrderId: held!.id,
      reason: HoldReason.INCORRECT_ADDRESS,
      handle: "address",
    });
    const one = await fulfilment.releaseFulfillmentOrder({ requestId: rid(), fulfillmentOrderId: held!.id, handles: ["address"] });
    expect(one.fulfillmentOrder!.status).toBe(FulfillmentOrderStatus.ON_HOLD);
    const both = await fulfilment.releaseFulfillmentOrder({
      requestId: rid(),
      fulfillmentOrderId: held!.id,
      handles: ["high-risk-of-fraud"],
    });
    expect(both.fulfillmentOrder!.status).toBe(FulfillmentOrderStatus.OPEN);
  });

  it("when an order is paid by card, then it cannot ship before the capture and can right after, with nobody releasing it", async () => {
    const order = (await orders.createOrder(createOrderRequest({ items: [{ productId: "prod-mug", quantity: 1 }] }))).order!;
    const [fo] = await fulfilmentOf(order.id);
    expect(fo!.holds.map((hold) => hold.reason)).toEqual([HoldReason.AWAITING_PAYMENT]);
    expect(reasonOf(await failure(ship(fo!, [[0, 1]], "EARLY")))).toBe("ORDER_STATUS_FORBIDS");
    await orders.payOrder({ requestId: rid(), orderId: order.id, paymentMethod: card });
    const shipped = await ship(fo!, [[0, 1]], "AFTER-CAPTURE");
    expect(shipped.shipment!.status).toBe(ShipmentStatus.IN_TRANSIT);
    expect((await orders.getOrder({ orderId: order.id })).order!.status).toBe(OrderStatus.SHIPPED);
  });

  it("when a split order of two sellers and three locations ships, then it completes only when every parcel is delivered, and the topic rebuilds each seller's parcels", async () => {
    await setStockAt(app.databaseUrl, "prod-mug", { "north-east": 1, "north-west": 100 });
    const consumer = await startConsumer(inject("kafkaBrokers"), app.topic);
    const order = await place([
      { productId: "prod-mug", quantity: 3 },
      { productId: "prod-socks", quantity: 2 },
    ]);
    const fos = await fulfilmentOf(order.id);
    // Made in one statement, at one time: listed by id, so sorted here.
    expect(fos.map((fo) => [fo.sellerId, fo.locationId]).sort()).toEqual([
      ["seller-north", "north-east"],
      ["seller-north", "north-west"],
      ["seller-south", "south-main"],
    ]);
    const northFos = (await north.listFulfillmentOrders({ orderId: order.id })).fulfillmentOrders.sort((a, b) =>
      a.locationId.localeCompare(b.locationId),
    );
    expect(northFos.map((fo) => fo.locationId)).toEqual(["north-east", "north-west"]);
    const shipments = [];
    shipments.push((await ship(northFos[0]!, [[0, 1]], "NE-1", north)).shipment!);
    let seen = (await orders.getOrder({ orderId: order.id })).order!;
    expect([seen.status, seen.partiallyShipped]).toEqual([OrderStatus.PROCESSING, true]);
    shipments.push((await ship(northFos[1]!, [[0, 1]], "NW-1", north)).shipment!);
    shipments.push((await ship(northFos[1]!, [[0, 1]], "NW-2", north)).shipment!);
    const southFo = (await south.listFulfillmentOrders({ orderId: order.id })).fulfillmentOrders[0]!;
    shipments.push((await ship(southFo, [[0, 2]], "S-1", south)).shipment!);
    seen = (await orders.getOrder({ orderId: order.id })).order!;
    expect([seen.status, seen.partiallyShipped, seen.items.map((item) => item.status)]).toEqual([
      OrderStatus.SHIPPED,
      false,
      [ItemStatus.SHIPPED, ItemStatus.SHIPPED],
    ]);
    for (const [i, shipment] of shipments.entries()) {
      const client = shipment.sellerId === "seller-north" ? north : south;
      await client.updateShipmentStatus({ requestId: rid(), shipmentId: shipment.id, status: ShipmentStatus.DELIVERED });
      const status = (await orders.getOrder({ orderId: order.id })).order!.status;
      expect(status).toBe(i < shipments.length - 1 ? OrderStatus.SHIPPED : OrderStatus.DELIVERED);
    }

    const messages = await consumer.until(
      (received) =>
        received.filter((message) => message.key === order.id && message.headers.ce_type === "shop.order.v1.ShipmentDelivered").length ===
        4,
    );
    const rebuilt = new Map<string, { sellerId: string; trackingNumber: string; delivered: boolean; units: number }>();
    for (const message of messages.filter((each) => each.key === order.id)) {
      const { payload } = fromBinary(OrderEventSchema, message.value);
      if (payload.case === "shipmentCreated") {
        const { shipmentId, sellerId, trackingNumber, lines } = payload.value;
        rebuilt.set(shipmentId, { sellerId, trackingNumber, delivered: false, units: lines.reduce((sum, line) => sum + line.quantity, 0) });
      }
      if (payload.case === "shipmentDelivered") rebuilt.get(payload.value.shipmentId)!.delivered = true;
    }
    const api = (await fulfilment.listShipments({ orderId: order.id })).shipments;
    expect(
      new Map(
        api.map((s) => [
          s.id,
          {
            sellerId: s.sellerId,
            trackingNumber: s.trackingNumber,
            delivered: s.status === ShipmentStatus.DELIVERED,
            units: s.lines.reduce((sum, l) => sum + l.quantity, 0),
          },
        ]),
      ),
    ).toEqual(rebuilt);
    await consumer.stop();
  });

  it("when seller-south names seller-north's fulfilment orders or shipments, then NOT_FOUND and nothing moves", async () => {
    const order = await place([
      { productId: "prod-mug", quantity: 2 },
      { productId: "prod-socks", quantity: 1 },
    ]);
    const northFo = (await north.listFulfillmentOrders({ orderId: order.id })).fulfillmentOrders[0]!;
    const { shipment } = await ship(northFo, [[0, 1]], "N-ONLY", north);
    expect((await south.listFulfillmentOrders({ orderId: order.id })).fulfillmentOrders.map((fo) => fo.sellerId)).toEqual(["seller-south"]);
    const before = await fulfilmentOf(order.id);
    const attempts = [
      () => south.holdFulfillmentOrder({ requestId: rid(), fulfillmentOrderId: northFo.id, reason: HoldReason.OTHER }),
      () => ship(northFo, [[0, 1]], "S-STEALS", south),
      () => south.updateShipmentStatus({ requestId: rid(), shipmentId: shipment!.id, status: ShipmentStatus.DELIVERED }),
      () => south.updateShipmentTracking({ requestId: rid(), shipmentId: shipment!.id, trackingNumber: "X" }),
    ];
    for (const attempt of attempts) expect((await failure(attempt())).code).toBe(Code.NotFound);
    expect((await south.listShipments({ orderId: order.id })).shipments).toEqual([]);
    expect(await fulfilmentOf(order.id)).toEqual(before);
  });

  it("when UpdateOrderStatus ships an order of one fulfilment order, then a parcel carries everything; with several, FAILED_PRECONDITION names them", async () => {
    const single = await place([{ productId: "prod-mug", quantity: 2 }]);
    await orders.updateOrderStatus({ requestId: rid(), orderId: single.id, status: OrderStatus.PROCESSING });
    await orders.updateOrderStatus({
      requestId: rid(),
      orderId: single.id,
      status: OrderStatus.SHIPPED,
      trackingNumber: "LEGACY-1",
      carrier: "DHL",
    });
    const [parcel] = (await fulfilment.listShipments({ orderId: single.id })).shipments;
    expect([parcel!.trackingNumber, parcel!.status, parcel!.lines[0]!.quantity]).toEqual(["LEGACY-1", ShipmentStatus.IN_TRANSIT, 2]);
    await orders.updateOrderStatus({ requestId: rid(), orderId: single.id, status: OrderStatus.DELIVERED });
    expect((await fulfilment.listShipments({ orderId: single.id })).shipments[0]!.status).toBe(ShipmentStatus.DELIVERED);

    const split = await place([
      { productId: "prod-mug", quantity: 1 },
      { productId: "prod-socks", quantity: 1 },
    ]);
    await orders.updateOrderStatus({ requestId: rid(), orderId: split.id, status: OrderStatus.PROCESSING });
    const refused = await failure(
      orders.updateOrderStatus({ requestId: rid(), orderId: split.id, status: OrderStatus.SHIPPED, trackingNumber: "X1" }),
    );
    expect(reasonOf(refused)).toBe("SEVERAL_FULFILLMENT_ORDERS");
  });

  it("when a fulfilment order moves to the seller's other location, then Inventory moves its units; another seller's location is NOT_FOUND", async () => {
    const order = await place([{ productId: "prod-mug", quantity: 2 }]);
    const [fo] = await fulfilmentOf(order.id);
    const moved = await fulfilment.moveFulfillmentOrder({ requestId: rid(), fulfillmentOrderId: fo!.id, locationId: "north-west" });
    expect(moved.fulfillmentOrder!.locationId).toBe("north-west");
    expect(await stockAt(app.databaseUrl, "prod-mug")).toEqual({
      "north-east": { available: 100, reserved: 0 },
      "north-west": { available: 98, reserved: 2 },
    });
    const foreign = await failure(
      fulfilment.moveFulfillmentOrder({ requestId: rid(), fulfillmentOrderId: fo!.id, locationId: "south-main" }),
    );
    expect(foreign.code).toBe(Code.NotFound);
  });

  it("when a READY shipment is cancelled, then its units remain again and its stock is held again", async () => {
    const order = await place([{ productId: "prod-mug", quantity: 2 }]);
    const [fo] = await fulfilmentOf(order.id);
    const { shipment } = await fulfilment.createShipment({
      requestId: rid(),
      fulfillmentOrderId: fo!.id,
      lines: [{ lineId: fo!.lines[0]!.id, quantity: 2 }],
    });
    expect((await stockAt(app.databaseUrl, "prod-mug"))["north-east"]).toEqual({ available: 98, reserved: 0 });
    const cancelled = await fulfilment.updateShipmentStatus({
      requestId: rid(),
      shipmentId: shipment!.id,
      status: ShipmentStatus.CANCELLED,
    });
    expect(cancelled.fulfillmentOrder!.lines[0]!.remainingQuantity).toBe(2);
    expect((await stockAt(app.databaseUrl, "prod-mug"))["north-east"]).toEqual({ available: 98, reserved: 2 });
  });

  it("when a seller reads its queue two at a time, then each of its open fulfilment orders comes once, oldest first; a token for other statuses is refused", async () => {
    for (let i = 0; i < 3; i++) await place([{ productId: "prod-socks", quantity: 1 }]);
    const whole = (await south.listFulfillmentOrders({ pageSize: 100 })).fulfillmentOrders;
    expect(whole.length).toBeGreaterThanOrEqual(3);
    expect(new Set(whole.map((fo) => fo.sellerId))).toEqual(new Set(["seller-south"]));
    const paged: FulfillmentOrder[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await south.listFulfillmentOrders({ pageSize: 2, pageToken });
      expect(page.fulfillmentOrders.length).toBeLessThanOrEqual(2);
      paged.push(...page.fulfillmentOrders);
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken && pages < 100);
    expect(paged.map((fo) => fo.id)).toEqual(whole.map((fo) => fo.id));
    const times = paged.map((fo) => Number(fo.createTime!.seconds) * 1e9 + fo.createTime!.nanos);
    expect(times).toEqual([...times].sort((a, b) => a - b));

    const first = await south.listFulfillmentOrders({ pageSize: 1 });
    const refused = await failure(
      south.listFulfillmentOrders({ pageSize: 1, pageToken: first.nextPageToken, statuses: [FulfillmentOrderStatus.ON_HOLD] }),
    );
    expect(refused.code).toBe(Code.InvalidArgument);
    expect(refused.rawMessage).toContain("different filters");
    expect((await failure(south.listFulfillmentOrders({ pageToken: "not-a-token" }))).code).toBe(Code.InvalidArgument);
  });

  it("when a customer lists its order's shipments, then it sees tracking and never locations' ids or hold notes", async () => {
    // The customer fixture is user-1 (createOrderRequest); a customer token for it reads its own order.
    const order = await place([{ productId: "prod-mug", quantity: 1 }]);
    const [fo] = await fulfilmentOf(order.id);
    await ship(fo!, [[0, 1]], "CUST-1");
    const customer = app.grpc(FulfillmentService, await (await import("../support/tokens.js")).token("user-1"));
    const [seen] = (await customer.listShipments({ orderId: order.id })).shipments;
    expect([seen!.trackingNumber, seen!.fulfillmentOrderId, seen!.lines[0]!.fulfillmentOrderLineId]).toEqual(["CUST-1", "", ""]);
    expect((await failure(customer.listFulfillmentOrders({ orderId: order.id }))).code).toBe(Code.PermissionDenied);
  });
});

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";
import { fromBinary, fromJsonString, getOption } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { event_type, OrderEventSchema, type OrderEvent } from "../../gen/shop/order/events/v1/order_events_pb.js";
import { CartEventSchema } from "../../gen/shop/cart/events/v1/cart_events_pb.js";
import { ItemStatus, OrderService, OrderStatus } from "../../gen/shop/order/v1/order_pb.js";
import { FulfillmentService, HoldReason, ShipmentStatus } from "../../gen/shop/order/v1/fulfillment_pb.js";
import { ClaimReason, OrderChangeService, OrderChangeType, ReturnReason } from "../../gen/shop/order/v1/changes_pb.js";
import { token } from "../support/tokens.js";
import { asyncApiDocument, ASYNCAPI_FILE } from "../../scripts/asyncapi.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startConsumer, type Received } from "../support/kafka-consumer.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

const rid = () => randomUUID();
const catalog = JSON.parse(readFileSync(ASYNCAPI_FILE, "utf8")) as {
  components: { messages: Record<string, { name: string; headers: { properties: { ce_dataschema: { const: string } } } }> };
};

/** Every ce_type in use, written out: a rename of a message or a field must not change one. */
const PINNED_TYPES = {
  orderCreated: "shop.order.v1.OrderCreated",
  orderUpdated: "shop.order.v1.OrderUpdated",
  orderStatusChanged: "shop.order.v1.OrderStatusChanged",
  orderPaid: "shop.order.v1.OrderPaid",
  orderPaymentFailed: "shop.order.v1.OrderPaymentFailed",
  orderCancelled: "shop.order.v1.OrderCancelled",
  orderRefunded: "shop.order.v1.OrderRefunded",
  orderShipped: "shop.order.v1.OrderShipped",
  orderDelivered: "shop.order.v1.OrderDelivered",
  orderCompleted: "shop.order.v1.OrderCompleted",
  orderItemsChanged: "shop.order.v1.OrderItemsChanged",
  orderItemStatusChanged: "shop.order.v1.OrderItemStatusChanged",
  orderDeleted: "shop.order.v1.OrderDeleted",
  orderItemCreated: "shop.order.v1.OrderItemCreated",
  fulfillmentOrderCreated: "shop.order.v1.FulfillmentOrderCreated",
  fulfillmentOrderHeld: "shop.order.v1.FulfillmentOrderHeld",
  fulfillmentOrderReleased: "shop.order.v1.FulfillmentOrderReleased",
  fulfillmentOrderMoved: "shop.order.v1.FulfillmentOrderMoved",
  fulfillmentOrderSplit: "shop.order.v1.FulfillmentOrderSplit",
  fulfillmentOrderMerged: "shop.order.v1.FulfillmentOrderMerged",
  fulfillmentOrderCancelled: "shop.order.v1.FulfillmentOrderCancelled",
  shipmentCreated: "shop.order.v1.ShipmentCreated",
  shipmentInTransit: "shop.order.v1.ShipmentInTransit",
  shipmentDelivered: "shop.order.v1.ShipmentDelivered",
  shipmentFailed: "shop.order.v1.ShipmentFailed",
  shipmentCancelled: "shop.order.v1.ShipmentCancelled",
  shipmentTrackingChanged: "shop.order.v1.ShipmentTrackingChanged",
  paymentCaptured: "shop.order.v1.PaymentCaptured",
  refundIssued: "shop.order.v1.RefundIssued",
  orderChangeRequested: "shop.order.v1.OrderChangeRequested",
  orderChangeConfirmed: "shop.order.v1.OrderChangeConfirmed",
  orderChangeDeclined: "shop.order.v1.OrderChangeDeclined",
  orderChangeCanceled: "shop.order.v1.OrderChangeCanceled",
  returnReceived: "shop.order.v1.ReturnReceived",
  authorizationAdjusted: "shop.order.v1.AuthorizationAdjusted",
};

/** The cart events' ce_types (shop.cart.events.v1), pinned the same way. */
const PINNED_CART_TYPES = {
  cartItemAdded: "shop.cart.v1.CartItemAdded",
  cartItemRemoved: "shop.cart.v1.CartItemRemoved",
  cartCheckedOut: "shop.cart.v1.CartCheckedOut",
  cartMerged: "shop.cart.v1.CartMerged",
  cartReservationExpired: "shop.cart.v1.CartReservationExpired",
  cartAbandoned: "shop.cart.v1.CartAbandoned",
};

describe("the events contract and its catalog", () => {
  it("when the ce_type constants are read from the contract, then each is the pinned value", () => {
    const declared = Object.fromEntries(
      OrderEventSchema.oneofs[0]!.fields.map((field) => [field.localName, getOption(field.message!, event_type)]),
    );
    expect(declared).toEqual(PINNED_TYPES);
    const cart = Object.fromEntries(
      CartEventSchema.oneofs[0]!.fields.map((field) => [field.localName, getOption(field.message!, event_type)]),
    );
    expect(cart).toEqual(PINNED_CART_TYPES);
  });

  it("when the AsyncAPI document is generated from the contract, then it is the committed one, and the AsyncAPI parser finds no problem", async () => {
    expect(JSON.parse(readFileSync(ASYNCAPI_FILE, "utf8")), "docs/asyncapi.json is stale: npm run -s contracts:asyncapi").toEqual(
      JSON.parse(JSON.stringify(asyncApiDocument())),
    );
    const { document, diagnostics } = await new Parser().parse(readFileSync(ASYNCAPI_FILE, "utf8"));
    expect(diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code}: ${d.message} at ${d.path.join(".")}`)).toEqual([]);
    const pinned = { ...PINNED_TYPES, ...PINNED_CART_TYPES };
    expect(document?.messages().length).toBe(Object.keys(pinned).length);
    expect(new Set(Object.values(catalog.components.messages).map((m) => m.name))).toEqual(new Set(Object.values(pinned)));
  });
});

/** One order through every event type: created, updated, items changed, declined, paid, shipped, delivered, completed, refunded; another cancelled and deleted. */
async function everyEventType(
  orders: Client<typeof OrderService>,
  fulfilment: Client<typeof FulfillmentService>,
  changes: Client<typeof OrderChangeService>,
  buyer: Client<typeof OrderChangeService>,
): Promise<string[]> {
  const move = (orderId: string, status: OrderStatus, extra = {}) =>
    orders.updateOrderStatus({ requestId: rid(), orderId, status, ...extra });
  const a = (await orders.createOrder(createOrderRequest())).order!;
  await orders.updateOrder({ requestId: rid(), orderId: a.id, notes: "ring twice" });
  await orders.addOrderItem({ requestId: rid(), orderId: a.id, item: { productId: "prod-cap", quantity: 1 } });
  await move(a.id, OrderStatus.CONFIRMED);
  await orders
    .payOrder({
      requestId: rid(),
      orderId: a.id,
      paymentMethod: { method: { case: "card", value: { paymentToken: "tok_decline", brand: "VISA", last4: "0002" } } },
    })
    .catch(() => undefined);
  await orders.payOrder({ requestId: rid(), orderId: a.id, paymentMethod: createOrderRequest().paymentMethod });
  // Paid, then made dearer: the difference is authorized too (AuthorizationAdjusted).
  await orders.updateOrderItemQuantity({ requestId: rid(), orderId: a.id, itemId: a.items[0]!.id, quantity: a.items[0]!.quantity + 1 });
  await orders.payOrder({ requestId: rid(), orderId: a.id, paymentMethod: createOrderRequest().paymentMethod });
  await move(a.id, OrderStatus.PROCESSING);
  await move(a.id, OrderStatus.SHIPPED, { trackingNumber: "TRK-1", carrier: "UPS" });
  await move(a.id, OrderStatus.DELIVERED);
  await orders.refundOrder({ requestId: rid(), orderId: a.id, reason: "damaged" });
  const b = (await orders.createOrder(createOrderRequest())).order!;
  await move(b.id, OrderStatus.CONFIRMED);
  await orders.updateOrderItemStatus({ requestId: rid(), orderId: b.id, itemId: b.items[0]!.id, status: ItemStatus.PROCESSING });
  await orders.cancelOrder({ requestId: rid(), orderId: b.id, reason: "changed my mind" });
  await orders.deleteOrder({ requestId: rid(), orderId: b.id });
  // A third through every fulfilment event: split and merged back, held and released, moved, a parcel cancelled, one failed then delivered.
  const upi = { method: { case: "upi" as const, value: { vpa: "ann@okbank" } } };
  const c = (await orders.createOrder(createOrderRequest({ items: [{ productId: "prod-mug", quantity: 2 }], paymentMethod: upi }))).order!;
  await move(c.id, OrderStatus.CONFIRMED);
  const [fo] = (await fulfilment.listFulfillmentOrders({ orderId: c.id })).fulfillmentOrders;
  const line = fo!.lines[0]!.id;
  const fulfillmentOrderId = fo!.id;
  const { split } = await fulfilment.splitFulfillmentOrder({
    requestId: rid(),
    fulfillmentOrderId,
    lines: [{ lineId: line, quantity: 1 }],
  });
  await fulfilment.mergeFulfillmentOrders({ requestId: rid(), fulfillmentOrderId, otherFulfillmentOrderId: split!.id });
  await fulfilment.holdFulfillmentOrder({ requestId: rid(), fulfillmentOrderId, reason: HoldReason.INCORRECT_ADDRESS });
  await fulfilment.releaseFulfillmentOrder({ requestId: rid(), fulfillmentOrderId });
  await fulfilment.moveFulfillmentOrder({ requestId: rid(), fulfillmentOrderId, locationId: "north-west" });
  const ready = await fulfilment.createShipment({ requestId: rid(), fulfillmentOrderId, lines: [{ lineId: line, quantity: 2 }] });
  await fulfilment.updateShipmentStatus({ requestId: rid(), shipmentId: ready.shipment!.id, status: ShipmentStatus.CANCELLED });
  const parcel = await fulfilment.createShipment({ requestId: rid(), fulfillmentOrderId, trackingNumber: "TRK-2", handedOver: true });
  const shipmentId = parcel.shipment!.id;
  await fulfilment.updateShipmentTracking({ requestId: rid(), shipmentId, trackingNumber: "TRK-3", carrier: "DHL" });
  await fulfilment.updateShipmentStatus({ requestId: rid(), shipmentId, status: ShipmentStatus.FAILED, reason: "nobody home" });
  await fulfilment.updateShipmentStatus({ requestId: rid(), shipmentId, status: ShipmentStatus.DELIVERED });
  // And through every change event: a return made and withdrawn, one declined, a claim, a return received.
  const mug = (await orders.getOrder({ orderId: c.id })).order!.items[0]!.id;
  const back = (reason = ReturnReason.WRONG_SIZE) => [
    { action: { case: "returnItem" as const, value: { itemId: mug, quantity: 1, reason } } },
  ];
  type Actions = Parameters<Client<typeof OrderChangeService>["createOrderChange"]>[0]["actions"];
  const ask = (client: Client<typeof OrderChangeService>, type = OrderChangeType.RETURN, actions: Actions = back()) =>
    client.createOrderChange({ requestId: rid(), orderId: c.id, type, actions }).then((r) => r.change!.id);
  const version = async () => (await orders.getOrder({ orderId: c.id })).order!.version;
  await changes.cancelOrderChange({ requestId: rid(), changeId: await ask(changes), reason: "made by mistake" });
  await changes.declineOrderChange({ requestId: rid(), changeId: await ask(buyer), reason: "worn" });
  const claim = [{ action: { case: "claimItem" as const, value: { itemId: mug, quantity: 1, reason: ClaimReason.DEFECTIVE } } }];
  await changes.confirmOrderChange({
    requestId: rid(),
    changeId: await ask(changes, OrderChangeType.CLAIM, claim),
    expectedVersion: await version(),
  });
  const returned = await ask(buyer);
  await changes.confirmOrderChange({ requestId: rid(), changeId: returned, expectedVersion: await version() });
  await changes.receiveReturn({
    requestId: rid(),
    changeId: returned,
    locationId: "north-east",
    lines: [{ itemId: mug, goodQuantity: 1 }],
  });
  return [a.id, b.id, c.id];
}

describe.each(["protobuf", "json"] as const)(
  "a consumer that knows only the events package and the AsyncAPI document, %s encoding",
  (encoding) => {
    const topic = `orders.contract.${encoding}.${randomUUID().slice(0, 8)}`;
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({ KAFKA_TOPIC: topic, EVENT_ENCODING: encoding });
    });
    afterAll(() => app?.stop());

    /** Decodes by the content-type header, as the catalog says. */
    const decode = (message: Received): OrderEvent =>
      message.headers["content-type"] === "application/json"
        ? fromJsonString(OrderEventSchema, message.value.toString(), { ignoreUnknownFields: true })
        : fromBinary(OrderEventSchema, message.value);

    it("when an order goes through every event type, then every type of the catalog arrives, decodes, and says what its headers say", async () => {
      const consumer = await startConsumer(inject("kafkaBrokers"), topic);
      try {
        const ids = await everyEventType(
          app.connect(OrderService),
          app.connect(FulfillmentService),
          app.connect(OrderChangeService),
          app.connect(OrderChangeService, await token("user-1")),
        );
        const types = new Set(Object.values(PINNED_TYPES));
        const mine = (all: Received[]) => all.filter((m) => ids.includes(m.key));
        const received = mine(await consumer.until((all) => new Set(mine(all).map((m) => m.headers.ce_type)).size >= types.size));
        expect(new Set(received.map((m) => m.headers.ce_type))).toEqual(types);
        for (const message of received) {
          const event = decode(message);
          const catalogued = Object.values(catalog.components.messages).find((m) => m.name === message.headers.ce_type)!;
          expect(message.headers.ce_dataschema).toBe(catalogued.headers.properties.ce_dataschema.const);
          expect(event.payload.case && PINNED_TYPES[event.payload.case]).toBe(message.headers.ce_type);
          expect({ id: event.eventId, order: event.orderId }).toEqual({ id: message.headers.ce_id, order: message.key });
          expect(event.orderVersion).toBeGreaterThan(0n);
        }
        const created = decode(received.find((m) => m.headers.ce_type === PINNED_TYPES.orderCreated)!);
        expect(created.payload).toMatchObject({
          case: "orderCreated",
          value: { customerEmail: "ann@example.com", items: [{ productId: "prod-mug" }, { productId: "prod-tee" }] },
        });
        const paid = decode(received.find((m) => m.headers.ce_type === PINNED_TYPES.orderPaid)!);
        expect(JSON.stringify(paid, (_, v) => (typeof v === "bigint" ? String(v) : v))).not.toMatch(/4242|tok_|VISA/);
      } finally {
        await consumer.stop();
      }
    });
  },
);

import { create, getOption, type DescField, type DescMessage, type DescMethod, type Message } from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { FieldBehavior, field_behavior } from "../../gen/google/api/field_behavior_pb.js";
import { CartService } from "../../gen/shop/cart/v1/cart_pb.js";
import { OrderService, OrderStatus } from "../../gen/shop/order/v1/order_pb.js";
import { OrderChangeService, OrderChangeType, ReturnReason } from "../../gen/shop/order/v1/changes_pb.js";
import { FulfillmentService } from "../../gen/shop/order/v1/fulfillment_pb.js";
import { setStockAt } from "../support/db.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { validRequests } from "../support/valid-requests.js";
import { SERVICES } from "../../scripts/access-doc.js";

type Step = { field: DescField; index?: number };

const isRequired = (field: DescField) => getOption(field, field_behavior).includes(FieldBehavior.REQUIRED);
const pathOf = (steps: Step[]) => steps.map((s) => `${s.field.name}${s.index === undefined ? "" : `[${s.index}]`}`).join(".");

/** Every REQUIRED field of the request, and of the messages set in it (lists: their first element), as paths. */
function requiredPaths(desc: DescMessage, message: Message, prefix: Step[] = [], depth = 3): Step[][] {
  const r = reflect(desc, message);
  const paths: Step[][] = [];
  for (const field of desc.fields) {
    if (isRequired(field)) paths.push([...prefix, { field }]);
    if (depth === 0 || !r.isSet(field)) continue;
    if (field.fieldKind === "message") {
      paths.push(...requiredPaths(field.message, r.get(field).message, [...prefix, { field }], depth - 1));
    } else if (field.fieldKind === "list" && field.listKind === "message") {
      const first = (r.get(field) as { get(i: number): ReflectMessage }).get(0);
      paths.push(...requiredPaths(field.message, first.message, [...prefix, { field, index: 0 }], depth - 1));
    }
  }
  return paths;
}

/** The request with the field at `steps` cleared. */
function without(desc: DescMessage, init: object, steps: Step[]): Message {
  const message = create(desc, init as never);
  let r = reflect(desc, message);
  for (const step of steps.slice(0, -1)) {
    const value = r.get(step.field) as ReflectMessage | { get(i: number): ReflectMessage };
    r = step.index === undefined ? (value as ReflectMessage) : (value as { get(i: number): ReflectMessage }).get(step.index);
  }
  r.clear(steps.at(-1)!.field);
  return message;
}

const methods = SERVICES.map(({ service }) => service).flatMap((service) =>
  service.methods.filter((m) => m.methodKind === "unary" || m.methodKind === "server_streaming"),
);

describe("field behaviour in the contract agrees with validation", () => {
  let app: TestApp;
  // Cash on delivery: paying it again needs no new card token, so PayOrder's payment_method is truly optional.
  const cash = { method: { case: "cashOnDelivery" as const, value: {} } };
  beforeAll(async () => {
    app = await startTestApp();
    // Every seed places orders of their own: enough stock for all of them.
    for (const [productId, location] of [
      ["prod-mug", "north-east"],
      ["prod-tee", "north-east"],
      ["prod-socks", "south-main"],
    ] as const) {
      await setStockAt(app.databaseUrl, productId, { [location]: 100_000 });
    }
  });
  afterAll(() => app?.stop());

  /** Valid requests about a fresh order of the caller's, with a mug in its cart: each call meets a state it can act on. */
  async function freshSeeds(): Promise<ReturnType<typeof validRequests>> {
    const placed = (await app.connect(OrderService).createOrder(createOrderRequest({ userId: "", paymentMethod: cash }))).order!;
    await app.connect(CartService).addItem({ requestId: crypto.randomUUID(), productId: "prod-mug", quantity: 1 });
    // Its fulfilment order, confirmed and with a READY parcel of one unit: every FulfillmentService call meets real state.
    await app
      .connect(OrderService)
      .updateOrderStatus({ requestId: crypto.randomUUID(), orderId: placed.id, status: OrderStatus.CONFIRMED });
    const fulfilment = app.connect(FulfillmentService);
    const [fo] = (await fulfilment.listFulfillmentOrders({ orderId: placed.id })).fulfillmentOrders;
    const line = fo!.lines[0]!.id;
    const { shipment } = await fulfilment.createShipment({
      requestId: crypto.randomUUID(),
      fulfillmentOrderId: fo!.id,
      lines: [{ lineId: line, quantity: 1 }],
    });
    const valid = validRequests({
      id: placed.id,
      itemIds: placed.items.map((item) => item.id),
      fulfillmentOrderId: fo!.id,
      fulfillmentLineId: line,
      shipmentId: shipment!.id,
      shipped: await withOpenChange(),
    });
    return { ...valid, payOrder: () => ({ ...valid.payOrder!(), paymentMethod: cash }) };
  }

  /** Another order of the caller's with a unit handed to the carrier and staff's open return of it: every OrderChangeService call meets real state. */
  async function withOpenChange() {
    const placed = (await app.connect(OrderService).createOrder(createOrderRequest({ userId: "", paymentMethod: cash }))).order!;
    await app
      .connect(OrderService)
      .updateOrderStatus({ requestId: crypto.randomUUID(), orderId: placed.id, status: OrderStatus.CONFIRMED });
    const fulfilment = app.connect(FulfillmentService);
    for (const fo of (await fulfilment.listFulfillmentOrders({ orderId: placed.id })).fulfillmentOrders) {
      await fulfilment.createShipment({
        requestId: crypto.randomUUID(),
        fulfillmentOrderId: fo.id,
        trackingNumber: "T1",
        handedOver: true,
      });
    }
    const itemId = placed.items[0]!.id;
    const { change } = await app.connect(OrderChangeService).createOrderChange({
      requestId: crypto.randomUUID(),
      orderId: placed.id,
      type: OrderChangeType.RETURN,
      actions: [{ action: { case: "returnItem", value: { itemId, quantity: 1, reason: ReturnReason.WRONG_SIZE } } }],
    });
    return { orderId: placed.id, itemId, changeId: change!.id, locationId: "south-main" };
  }

  /** The call's code, and the fields it was refused for as INVALID_ARGUMENT's BadRequest names them. */
  async function answer(method: DescMethod, request: Message): Promise<{ code: string; fields: string[] }> {
    const client = app.connect(method.parent) as unknown as Record<string, (request: unknown) => unknown>;
    try {
      const called = client[method.localName]!(request);
      if (method.methodKind === "server_streaming") {
        for await (const _ of called as AsyncIterable<unknown>) break;
      } else {
        await called;
      }
      return { code: "OK", fields: [] };
    } catch (error) {
      const e = ConnectError.from(error);
      return { code: Code[e.code], fields: e.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field) ?? [] };
    }
  }
  const refusedFields = async (method: DescMethod, request: Message) => (await answer(method, request)).fields;

  it.each(methods.map((m) => [`${m.parent.name}/${m.name}`, m] as const))(
    "%s: a request missing any REQUIRED field is refused naming that field, and one missing an optional field is not refused for it",
    async (_, method) => {
      const seed = (await freshSeeds())[method.localName]!;
      const complete = create(method.input, seed() as never);
      const required = requiredPaths(method.input, complete);
      for (const steps of required) {
        const refused = await refusedFields(method, without(method.input, seed(), steps));
        expect(refused, `${method.name} without ${pathOf(steps)}`).toContain(pathOf(steps));
      }
      // Without an optional field, on an order and cart of its own, the call reaches its use case: it
      // succeeds or meets the order's state, or (UpdateOrder with nothing left to change) is refused
      // for another field; never NOT_FOUND, INTERNAL, or a refusal naming the field.
      for (const field of method.input.fields.filter((f) => !isRequired(f))) {
        const request = without(method.input, (await freshSeeds())[method.localName]!(), [{ field }]);
        const { code, fields } = await answer(method, request);
        const what = `${method.name} without optional ${field.name}: ${code} ${fields.join(", ")}`;
        if (code === "InvalidArgument") expect(fields.length > 0 && !fields.includes(field.name), what).toBe(true);
        else expect(["OK", "FailedPrecondition"], what).toContain(code);
      }
    },
  );

  it("when the contract is read, then every mutating request's request_id is REQUIRED and every resource's server-set fields are OUTPUT_ONLY", () => {
    const mutating = methods.filter((m) => m.input.fields.some((f) => f.name === "request_id"));
    expect(mutating.map((m) => m.name).sort()).toEqual(
      [
        "AddItem",
        "AddOrderItem",
        "CancelOrder",
        "CreateShipment",
        "IssueRefund",
        "MergeCart",
        "ReleaseCartHolds",
        "CreateOrderChange",
        "ConfirmOrderChange",
        "DeclineOrderChange",
        "CancelOrderChange",
        "ReceiveReturn",
        "HoldFulfillmentOrder",
        "MergeFulfillmentOrders",
        "MoveFulfillmentOrder",
        "ReleaseFulfillmentOrder",
        "ScheduleFulfillmentOrder",
        "SplitFulfillmentOrder",
        "UpdateShipmentStatus",
        "UpdateShipmentTracking",
        "Checkout",
        "ClearCart",
        "CreateOrder",
        "DeleteOrder",
        "PayOrder",
        "RefundOrder",
        "RemoveItem",
        "RemoveOrderItem",
        "RetryOrderEvents",
        "UpdateItemQuantity",
        "UpdateOrder",
        "UpdateOrderItemQuantity",
        "UpdateOrderItemStatus",
        "UpdateOrderStatus",
      ].sort(),
    );
    for (const method of mutating) expect(isRequired(method.input.fields.find((f) => f.name === "request_id")!), method.name).toBe(true);
    const order = OrderService.method.getOrder.output.fields.find((f) => f.name === "order")!.message!;
    for (const name of ["id", "order_number", "status", "total", "version", "create_time"]) {
      expect(
        getOption(
          order.fields.find((f) => f.name === name)!,
          field_behavior,
        ),
        name,
      ).toEqual([FieldBehavior.OUTPUT_ONLY]);
    }
  });
});

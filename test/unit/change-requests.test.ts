import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  AddOrderItemRequestSchema,
  ItemStatus,
  OrderStatus,
  RemoveOrderItemRequestSchema,
  RetryOrderEventsRequestSchema,
  UpdateOrderItemQuantityRequestSchema,
  UpdateOrderItemStatusRequestSchema,
  UpdateOrderRequestSchema,
  UpdateOrderStatusRequestSchema,
} from "../../gen/shop/order/v1/order_pb.js";
import { MAX_QUANTITY } from "../../src/orders/domain/order.js";
import {
  parseAddItem,
  parseChangeQuantity,
  parseChangeStatus,
  parseItemStatus,
  parseRemoveItem,
  parseRetryEvents,
  parseUpdateOrder,
} from "../../src/orders/rpc/requests/change-requests.js";
import { violationsOf } from "./violations.js";

const ORDER_ID = "0B9D2C53-4D5E-4F8A-9B1C-2D3E4F5A6B7C";
const ITEM_ID = "1A2B3C4D-5E6F-4A8B-9C0D-1E2F3A4B5C6D";
const target = { requestId: "r-1", orderId: ORDER_ID, expectedVersion: 3n };
const parsedTarget = { requestId: "r-1", orderId: ORDER_ID.toLowerCase(), expectedVersion: 3n };
const address = { line1: "1 Main St", city: "Springfield", postalCode: "62701", countryCode: "US" };

describe("requests that change an existing order", () => {
  it("UpdateOrderStatus: the status, reason, tracking and carrier, with the target; PAID and UNSPECIFIED refused", () => {
    const ship = { ...target, status: OrderStatus.SHIPPED, reason: " packed ", trackingNumber: "TRK-1", carrier: "UPS" };
    expect(parseChangeStatus(create(UpdateOrderStatusRequestSchema, ship))).toEqual({
      ...parsedTarget,
      status: "SHIPPED",
      reason: "packed",
      trackingNumber: "TRK-1",
      carrier: "UPS",
    });
    expect(violationsOf(() => parseChangeStatus(create(UpdateOrderStatusRequestSchema, { ...target, status: OrderStatus.PAID })))).toEqual([
      "status: PAID follows a captured payment; use PayOrder",
    ]);
    expect(violationsOf(() => parseChangeStatus(create(UpdateOrderStatusRequestSchema, target)))).toEqual(["status: is required"]);
    const bad = { requestId: "", orderId: "x", status: OrderStatus.CONFIRMED, trackingNumber: "no spaces", carrier: "c".repeat(65) };
    expect(violationsOf(() => parseChangeStatus(create(UpdateOrderStatusRequestSchema, bad)))).toEqual([
      "request_id: is required",
      "order_id: must be a UUID",
      "tracking_number: must be letters, digits or dashes",
      "carrier: must be at most 64 characters",
    ]);
  });

  it("UpdateOrderStatus: a reason is required to cancel or refund, optional otherwise, at most 500 characters", () => {
    for (const status of [OrderStatus.CANCELLED, OrderStatus.REFUNDED]) {
      expect(violationsOf(() => parseChangeStatus(create(UpdateOrderStatusRequestSchema, { ...target, status })))).toEqual([
        "reason: is required",
      ]);
    }
    expect(parseChangeStatus(create(UpdateOrderStatusRequestSchema, { ...target, status: OrderStatus.CONFIRMED })).reason).toBe("");
    const long = { ...target, status: OrderStatus.CONFIRMED, reason: "r".repeat(501) };
    expect(violationsOf(() => parseChangeStatus(create(UpdateOrderStatusRequestSchema, long)))).toEqual([
      "reason: must be at most 500 characters",
    ]);
  });

  it("UpdateOrder: only the fields set change; nothing set is refused; each field has its rule", () => {
    expect(parseUpdateOrder(create(UpdateOrderRequestSchema, { ...target, notes: " ring " }))).toEqual({
      ...parsedTarget,
      notes: "ring",
      trackingNumber: undefined,
      carrier: undefined,
      shippingAddress: undefined,
    });
    const all = parseUpdateOrder(
      create(UpdateOrderRequestSchema, { ...target, trackingNumber: "T-1", carrier: "DHL", shippingAddress: address }),
    );
    expect([all.trackingNumber, all.carrier, all.shippingAddress?.city]).toEqual(["T-1", "DHL", "Springfield"]);
    expect(parseUpdateOrder(create(UpdateOrderRequestSchema, { ...target, notes: "" })).notes).toBe("");
    expect(violationsOf(() => parseUpdateOrder(create(UpdateOrderRequestSchema, target)))).toEqual([
      "order_id: nothing to update: set notes, tracking_number, carrier or shipping_address",
    ]);
    const bad = {
      ...target,
      notes: "n".repeat(1001),
      trackingNumber: "a b",
      carrier: "c".repeat(65),
      shippingAddress: { ...address, city: "" },
    };
    expect(violationsOf(() => parseUpdateOrder(create(UpdateOrderRequestSchema, bad)))).toEqual([
      "notes: must be at most 1000 characters",
      "tracking_number: must be letters, digits or dashes",
      "carrier: must be at most 64 characters",
      "shipping_address.city: is required",
    ]);
  });

  it("UpdateOrderItemStatus: PROCESSING, SHIPPED, DELIVERED or CANCELLED, of a UUID item", () => {
    const request = (status: ItemStatus, itemId = ITEM_ID) => create(UpdateOrderItemStatusRequestSchema, { ...target, itemId, status });
    expect(parseItemStatus(request(ItemStatus.SHIPPED))).toEqual({ ...parsedTarget, itemId: ITEM_ID.toLowerCase(), status: "SHIPPED" });
    for (const status of [ItemStatus.PENDING, ItemStatus.UNSPECIFIED, 42 as ItemStatus]) {
      expect(violationsOf(() => parseItemStatus(request(status)))).toEqual(["status: must be PROCESSING, SHIPPED, DELIVERED or CANCELLED"]);
    }
    expect(violationsOf(() => parseItemStatus(request(ItemStatus.SHIPPED, "item-1")))).toEqual(["item_id: must be a UUID"]);
  });

  it("AddOrderItem: one line, priced in the shop's currency; a missing line is refused", () => {
    const add = create(AddOrderItemRequestSchema, { ...target, item: { productId: "prod-cap", quantity: 2 } });
    expect(parseAddItem(add, "USD")).toEqual({
      ...parsedTarget,
      item: { productId: "prod-cap", variantId: "", quantity: 2, expectedUnitPrice: undefined },
    });
    expect(violationsOf(() => parseAddItem(create(AddOrderItemRequestSchema, target), "USD"))).toEqual(["item: is required"]);
    const bad = create(AddOrderItemRequestSchema, { ...target, item: { productId: "", quantity: 0 } });
    expect(violationsOf(() => parseAddItem(bad, "USD"))).toEqual([
      "item.product_id: is required",
      `item.quantity: must be between 1 and ${MAX_QUANTITY}`,
    ]);
  });

  it("UpdateOrderItemQuantity: 1 to the maximum, of a UUID item; 0 is RemoveOrderItem's", () => {
    const request = (quantity: number) => create(UpdateOrderItemQuantityRequestSchema, { ...target, itemId: ITEM_ID, quantity });
    expect(parseChangeQuantity(request(MAX_QUANTITY))).toEqual({ ...parsedTarget, itemId: ITEM_ID.toLowerCase(), quantity: MAX_QUANTITY });
    expect(parseChangeQuantity(request(1)).quantity).toBe(1);
    for (const quantity of [0, MAX_QUANTITY + 1]) {
      expect(violationsOf(() => parseChangeQuantity(request(quantity)))).toEqual([
        `quantity: must be between 1 and ${MAX_QUANTITY}; use RemoveOrderItem to remove`,
      ]);
    }
  });

  it("RemoveOrderItem: a UUID item of the target", () => {
    expect(parseRemoveItem(create(RemoveOrderItemRequestSchema, { ...target, itemId: ITEM_ID }))).toEqual({
      ...parsedTarget,
      itemId: ITEM_ID.toLowerCase(),
    });
    expect(violationsOf(() => parseRemoveItem(create(RemoveOrderItemRequestSchema, { ...target, itemId: "" })))).toEqual([
      "item_id: is required",
    ]);
  });

  it("RetryOrderEvents: a request id and an order", () => {
    expect(parseRetryEvents(create(RetryOrderEventsRequestSchema, { requestId: "r-9", orderId: ORDER_ID }))).toEqual({
      requestId: "r-9",
      orderId: ORDER_ID.toLowerCase(),
    });
    expect(violationsOf(() => parseRetryEvents(create(RetryOrderEventsRequestSchema, { requestId: "r 9", orderId: "" })))).toEqual([
      "request_id: must be 1-128 letters, digits, or . _ : -",
      "order_id: is required",
    ]);
  });
});

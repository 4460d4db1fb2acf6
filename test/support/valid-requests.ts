import { randomUUID } from "node:crypto";
import { ItemStatus, OrderStatus } from "../../gen/shop/order/v1/order_pb.js";
import { HoldReason, ShipmentStatus } from "../../gen/shop/order/v1/fulfillment_pb.js";
import { RefundCause } from "../../gen/shop/order/v1/ledger_pb.js";
import { OrderChangeType, ReturnReason } from "../../gen/shop/order/v1/changes_pb.js";
import { checkoutRequest } from "./cart-fixtures.js";
import { MergeMode } from "../../gen/shop/cart/v1/cart_pb.js";
import { createOrderRequest } from "./fixtures.js";

export interface ExistingOrder {
  readonly id: string;
  readonly itemIds: readonly string[];
  /** One of its fulfilment orders, and one of its line ids; a made-up id (NOT_FOUND) when not given. */
  readonly fulfillmentOrderId?: string;
  readonly fulfillmentLineId?: string;
  /** One of its shipments; made up when not given. */
  readonly shipmentId?: string;
  /** An order with shipped units, an item of it and an open change of it, for OrderChangeService; made up when not given. */
  readonly shipped?: { readonly orderId: string; readonly itemId: string; readonly changeId: string; readonly locationId: string };
  /** A guest cart's token for MergeCart; one that is no token of this deploy (INVALID_ARGUMENT) when not given. */
  readonly guestCartToken?: string;
}

/**
 * A valid request for every RPC, about `order` (the caller's own) and the caller's own cart: the
 * starting points the fuzzer bends a field or two of, so that its inputs reach the use cases and
 * not only the validation in front of them. Fresh request ids every time.
 */
export function validRequests(order: ExistingOrder): Record<string, () => Record<string, unknown>> {
  const orderId = order.id;
  const itemId = order.itemIds[0];
  const rid = () => randomUUID();
  const fulfillmentOrderId = order.fulfillmentOrderId ?? randomUUID();
  const lineId = order.fulfillmentLineId ?? randomUUID();
  const shipmentId = order.shipmentId ?? randomUUID();
  const shipped = order.shipped ?? { orderId, itemId: itemId ?? randomUUID(), changeId: randomUUID(), locationId: "north-east" };
  const { changeId } = shipped;
  const returnOne = () => ({
    action: { case: "returnItem", value: { itemId: shipped.itemId, quantity: 1, reason: ReturnReason.WRONG_SIZE } },
  });
  return {
    createOrder: () => createOrderRequest({ userId: "" }),
    getOrder: () => ({ orderId }),
    listOrders: () => ({ pageSize: 10 }),
    getOrderStatus: () => ({ orderId }),
    getOrderHistory: () => ({ orderId, pageSize: 10 }),
    listOrderEvents: () => ({ orderId }),
    retryOrderEvents: () => ({ requestId: rid(), orderId }),
    watchOrder: () => ({ orderId }),
    updateOrder: () => ({ requestId: rid(), orderId, notes: "leave at the door" }),
    updateOrderStatus: () => ({ requestId: rid(), orderId, status: OrderStatus.CONFIRMED }),
    addOrderItem: () => ({ requestId: rid(), orderId, item: { productId: "prod-cap", quantity: 1 } }),
    updateOrderItemQuantity: () => ({ requestId: rid(), orderId, itemId, quantity: 2 }),
    removeOrderItem: () => ({ requestId: rid(), orderId, itemId }),
    payOrder: () => ({ requestId: rid(), orderId, paymentMethod: createOrderRequest().paymentMethod }),
    updateOrderItemStatus: () => ({ requestId: rid(), orderId, itemId, status: ItemStatus.PROCESSING }),
    cancelOrder: () => ({ requestId: rid(), orderId, reason: "changed my mind" }),
    refundOrder: () => ({ requestId: rid(), orderId, reason: "damaged" }),
    deleteOrder: () => ({ requestId: rid(), orderId, reason: "duplicate" }),
    getCart: () => ({}),
    addItem: () => ({ requestId: rid(), productId: "prod-mug", quantity: 1 }),
    updateItemQuantity: () => ({ requestId: rid(), productId: "prod-mug", quantity: 2 }),
    removeItem: () => ({ requestId: rid(), productId: "prod-mug" }),
    clearCart: () => ({ requestId: rid() }),
    checkout: () => checkoutRequest(""),
    createGuestCart: () => ({ email: "guest@example.com" }),
    mergeCart: () => ({ requestId: rid(), guestCartToken: order.guestCartToken ?? "e30.e30.c2ln", mode: MergeMode.SUM }),
    revokeOrderLinks: () => ({ orderId, reason: "asked by the customer" }),
    listCarts: () => ({ pageSize: 10 }),
    releaseCartHolds: () => ({ requestId: rid(), userId: "user-with-a-cart", reason: "stuck stock" }),
    listFulfillmentOrders: () => ({ orderId }),
    holdFulfillmentOrder: () => ({ requestId: rid(), fulfillmentOrderId, reason: HoldReason.OTHER, note: "check the address" }),
    releaseFulfillmentOrder: () => ({ requestId: rid(), fulfillmentOrderId }),
    splitFulfillmentOrder: () => ({ requestId: rid(), fulfillmentOrderId, lines: [{ lineId, quantity: 1 }] }),
    mergeFulfillmentOrders: () => ({ requestId: rid(), fulfillmentOrderId, otherFulfillmentOrderId: randomUUID() }),
    moveFulfillmentOrder: () => ({ requestId: rid(), fulfillmentOrderId, locationId: "north-west" }),
    scheduleFulfillmentOrder: () => ({ requestId: rid(), fulfillmentOrderId }),
    createShipment: () => ({ requestId: rid(), fulfillmentOrderId, carrier: "UPS", trackingNumber: "1Z999" }),
    updateShipmentStatus: () => ({ requestId: rid(), shipmentId, status: ShipmentStatus.IN_TRANSIT }),
    updateShipmentTracking: () => ({ requestId: rid(), shipmentId, trackingNumber: "1Z999" }),
    listShipments: () => ({ orderId }),
    listLedgerEntries: () => ({ orderId }),
    issueRefund: () => ({
      requestId: rid(),
      orderId,
      cause: RefundCause.SHIPPING,
      amount: { currencyCode: "USD", amountMinor: 100n },
      reason: "late",
    }),
    createOrderChange: () => ({ requestId: rid(), orderId: shipped.orderId, type: OrderChangeType.RETURN, actions: [returnOne()] }),
    previewOrderChange: () => ({
      orderId: shipped.orderId,
      change: { case: "draft", value: { type: OrderChangeType.RETURN, actions: [returnOne()] } },
    }),
    confirmOrderChange: () => ({ requestId: rid(), changeId, expectedVersion: 1n }),
    declineOrderChange: () => ({ requestId: rid(), changeId, reason: "worn" }),
    cancelOrderChange: () => ({ requestId: rid(), changeId }),
    receiveReturn: () => ({
      requestId: rid(),
      changeId,
      locationId: shipped.locationId,
      lines: [{ itemId: shipped.itemId, goodQuantity: 1 }],
    }),
    getOrderChange: () => ({ changeId }),
    listOrderChanges: () => ({ orderId: shipped.orderId }),
  };
}

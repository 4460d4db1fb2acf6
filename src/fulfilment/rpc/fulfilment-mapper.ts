import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  FulfillmentOrderStatus,
  HoldReason as HoldReasonProto,
  ShipmentStatus as ShipmentStatusProto,
  type FulfillmentOrderSchema,
  type ShipmentSchema,
} from "../../../gen/shop/order/v1/fulfillment_pb.js";
import type { Shipment } from "../domain/fulfilment-data.js";
import type { FulfilmentOrderView } from "../domain/fulfilment-order.js";
import { FULFILMENT_STATUSES, type FulfilmentStatus } from "../domain/fulfilment-status.js";

export function fulfilmentStatusToProto(status: FulfilmentStatus): FulfillmentOrderStatus {
  return FulfillmentOrderStatus[status];
}

export function fulfilmentStatusFromProto(status: FulfillmentOrderStatus): FulfilmentStatus | undefined {
  return FULFILMENT_STATUSES.find((name) => FulfillmentOrderStatus[name] === status);
}

export function shipmentToProto(
  shipment: Shipment,
  owner: { orderId: string; fulfillmentOrderId: string; sellerId: string },
): MessageInitShape<typeof ShipmentSchema> {
  return {
    id: shipment.id,
    orderId: owner.orderId,
    fulfillmentOrderId: owner.fulfillmentOrderId,
    sellerId: owner.sellerId,
    status: ShipmentStatusProto[shipment.status],
    carrier: shipment.carrier,
    trackingNumber: shipment.trackingNumber,
    trackingUrl: shipment.trackingUrl,
    failureReason: shipment.failureReason,
    lines: shipment.lines.map((line) => ({
      fulfillmentOrderLineId: line.fulfilmentLineId,
      orderItemId: line.orderItemId,
      productId: line.productId,
      variantId: line.variantId,
      quantity: line.quantity,
    })),
    createTime: timestampFromDate(shipment.createdAt),
    updateTime: timestampFromDate(shipment.updatedAt),
  };
}

export function fulfilmentToProto(order: FulfilmentOrderView): MessageInitShape<typeof FulfillmentOrderSchema> {
  const owner = { orderId: order.orderId, fulfillmentOrderId: order.id, sellerId: order.sellerId };
  return {
    id: order.id,
    orderId: order.orderId,
    sellerId: order.sellerId,
    locationId: order.locationId,
    status: fulfilmentStatusToProto(order.status),
    fulfillTime: order.fulfillAt ? timestampFromDate(order.fulfillAt) : undefined,
    lines: order.lines.map((line) => ({
      id: line.id,
      orderItemId: line.orderItemId,
      productId: line.productId,
      variantId: line.variantId,
      quantity: line.quantity,
      remainingQuantity: line.remaining,
    })),
    holds: order.holds.map((hold) => ({
      handle: hold.handle,
      reason: HoldReasonProto[hold.reason],
      note: hold.note,
      heldBy: hold.heldBy,
      holdTime: timestampFromDate(hold.heldAt),
      releaseTime: hold.releasedAt ? timestampFromDate(hold.releasedAt) : undefined,
      releasedBy: hold.releasedBy,
    })),
    shipments: order.shipments.map((shipment) => shipmentToProto(shipment, owner)),
    version: BigInt(order.version),
    createTime: timestampFromDate(order.createdAt),
    updateTime: timestampFromDate(order.updatedAt),
  };
}

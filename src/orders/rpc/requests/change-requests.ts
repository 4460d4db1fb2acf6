import {
  ItemStatus as ItemStatusProto,
  type AddOrderItemRequest,
  type PayOrderRequest,
  type RemoveOrderItemRequest,
  type UpdateOrderItemQuantityRequest,
  type UpdateOrderItemStatusRequest,
  type UpdateOrderRequest,
  type UpdateOrderStatusRequest,
} from "../../../../gen/shop/order/v1/order_pb.js";
import { parsePaymentMethod, type PaymentMethod } from "../../../payments/payment-method.js";
import { REQUEST_ID, Violations } from "../../../platform/validation.js";
import type { ChangeStatusCommand } from "../../change-status.js";
import type { DetailsUpdate } from "../../domain/order.js";
import { MAX_QUANTITY } from "../../domain/order.js";
import type { ItemStatus } from "../../domain/item-status.js";
import type { AddItemCommand } from "../../edit-items.js";
import { orderStatusFromProto } from "../order-mapper.js";
import { CARRIER, changeTargetOf, itemIdField, NOTES, orderIdField, REASON, TRACKING_NUMBER, type ChangeTarget } from "./field-rules.js";
import { parseAddress, parseItem } from "./place-order-request.js";

/** The parsers of every request that changes an existing order: each collects all its violations before it throws. */

export function parseChangeStatus(request: UpdateOrderStatusRequest): ChangeStatusCommand {
  const v = new Violations();
  const status = orderStatusFromProto(request.status);
  v.check(status !== undefined, "status", "is required");
  v.check(status !== "PAID", "status", "PAID follows a captured payment; use PayOrder");
  const command = {
    ...changeTargetOf(request, v),
    status: status as ChangeStatusCommand["status"],
    reason: v.text("reason", request.reason, { ...REASON, min: status === "CANCELLED" || status === "REFUNDED" ? 1 : 0 }),
    trackingNumber: v.text("tracking_number", request.trackingNumber, TRACKING_NUMBER),
    carrier: v.text("carrier", request.carrier, CARRIER),
  };
  v.throwIfAny();
  return command;
}

export interface UpdateOrderCommand extends ChangeTarget, DetailsUpdate {}

export function parseUpdateOrder(request: UpdateOrderRequest): UpdateOrderCommand {
  const v = new Violations();
  const optional = (field: string, value: string | undefined, rule: { max: number; pattern?: RegExp; hint?: string }) =>
    value === undefined ? undefined : v.text(field, value, rule);
  const command = {
    ...changeTargetOf(request, v),
    notes: optional("notes", request.notes, NOTES),
    trackingNumber: optional("tracking_number", request.trackingNumber, TRACKING_NUMBER),
    carrier: optional("carrier", request.carrier, CARRIER),
    shippingAddress: request.shippingAddress ? parseAddress(request.shippingAddress, "shipping_address", v) : undefined,
  };
  const { notes, trackingNumber, carrier, shippingAddress } = command;
  v.check(
    [notes, trackingNumber, carrier, shippingAddress].some((value) => value !== undefined),
    "order_id",
    "nothing to update: set notes, tracking_number, carrier or shipping_address",
  );
  v.throwIfAny();
  return command;
}

export interface ItemStatusCommand extends ChangeTarget {
  readonly itemId: string;
  readonly status: Exclude<ItemStatus, "PENDING">;
}

export function parseItemStatus(request: UpdateOrderItemStatusRequest): ItemStatusCommand {
  const v = new Violations();
  const status = request.status === ItemStatusProto.UNSPECIFIED ? undefined : (ItemStatusProto[request.status] as ItemStatus | undefined);
  v.check(status !== undefined && status !== "PENDING", "status", "must be PROCESSING, SHIPPED, DELIVERED or CANCELLED");
  const command = {
    ...changeTargetOf(request, v),
    itemId: itemIdField(v, request.itemId),
    status: status as Exclude<ItemStatus, "PENDING">,
  };
  v.throwIfAny();
  return command;
}

export function parseAddItem(request: AddOrderItemRequest, currency: string): AddItemCommand {
  const v = new Violations();
  const target = changeTargetOf(request, v);
  const item = request.item ? parseItem(request.item, "item", currency, v) : v.add("item", "is required");
  v.throwIfAny();
  return { ...target, item: item! };
}

export interface ChangeQuantityCommand extends ChangeTarget {
  readonly itemId: string;
  readonly quantity: number;
}

export function parseChangeQuantity(request: UpdateOrderItemQuantityRequest): ChangeQuantityCommand {
  const v = new Violations();
  const command = { ...changeTargetOf(request, v), itemId: itemIdField(v, request.itemId), quantity: request.quantity };
  v.check(
    command.quantity >= 1 && command.quantity <= MAX_QUANTITY,
    "quantity",
    `must be between 1 and ${MAX_QUANTITY}; use RemoveOrderItem to remove`,
  );
  v.throwIfAny();
  return command;
}

export interface RemoveItemCommand extends ChangeTarget {
  readonly itemId: string;
}

export function parseRemoveItem(request: RemoveOrderItemRequest): RemoveItemCommand {
  const v = new Violations();
  const command = { ...changeTargetOf(request, v), itemId: itemIdField(v, request.itemId) };
  v.throwIfAny();
  return command;
}

export interface ReasonCommand extends ChangeTarget {
  readonly reason: string;
}

/** Cancel, refund and delete take the same four fields. */
export function parseReasonCommand(
  request: { requestId: string; orderId: string; expectedVersion?: bigint; reason: string },
  options: { reasonRequired: boolean },
): ReasonCommand {
  const v = new Violations();
  const command = {
    ...changeTargetOf(request, v),
    reason: v.text("reason", request.reason, { ...REASON, min: options.reasonRequired ? 1 : 0 }),
  };
  v.throwIfAny();
  return command;
}

export interface PayCommand extends ChangeTarget {
  /** Absent: pay with the method given at placement. */
  readonly method?: PaymentMethod;
}

export function parsePay(request: PayOrderRequest): PayCommand {
  const v = new Violations();
  const command = {
    ...changeTargetOf(request, v),
    method: request.paymentMethod ? parsePaymentMethod(request.paymentMethod, "payment_method", v) : undefined,
  };
  v.throwIfAny();
  return command;
}

export interface RetryEventsCommand {
  readonly requestId: string;
  readonly orderId: string;
}

export function parseRetryEvents(request: { requestId: string; orderId: string }): RetryEventsCommand {
  const v = new Violations();
  const command = { requestId: v.text("request_id", request.requestId, REQUEST_ID), orderId: orderIdField(v, request.orderId) };
  v.throwIfAny();
  return command;
}

export function parseRevokeOrderLinks(request: { orderId: string; reason: string }): { orderId: string; reason: string } {
  const v = new Violations();
  const command = { orderId: orderIdField(v, request.orderId), reason: v.text("reason", request.reason, { ...REASON, min: 1 }) };
  v.throwIfAny();
  return command;
}

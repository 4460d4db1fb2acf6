import type { UpdateOrderRequest } from "../../gen/shop/order/v1/order_pb.js";
import { FailedPreconditionError } from "../platform/domain-errors.js";
import { REQUEST_ID, Violations } from "../platform/validation.js";
import { CARRIER, TRACKING_NUMBER } from "./change-status.js";
import { orderIdField } from "./get-order.js";
import { requireStatus } from "./order-lifecycle.js";
import type { ChangeOutcome, MutationTarget } from "./order-mutation.js";
import { parseAddress } from "./place-order-input.js";
import type { AddressData, Order } from "./order.entity.js";

export interface UpdateOrderCommand extends MutationTarget {
  readonly requestId: string;
  readonly notes?: string;
  readonly trackingNumber?: string;
  readonly carrier?: string;
  readonly shippingAddress?: AddressData;
}

export function parseUpdateOrder(request: UpdateOrderRequest): UpdateOrderCommand {
  const v = new Violations();
  const optional = (field: string, value: string | undefined, rule: { max: number; pattern?: RegExp; hint?: string }) =>
    value === undefined ? undefined : v.text(field, value, rule);
  const command = {
    requestId: v.text("request_id", request.requestId, REQUEST_ID),
    orderId: orderIdField(v, request.orderId),
    expectedVersion: request.expectedVersion,
    notes: optional("notes", request.notes, { max: 1000 }),
    trackingNumber: optional("tracking_number", request.trackingNumber, TRACKING_NUMBER),
    carrier: optional("carrier", request.carrier, CARRIER),
    shippingAddress: request.shippingAddress ? parseAddress(request.shippingAddress, "shipping_address", v) : undefined,
  };
  const { notes, trackingNumber, carrier, shippingAddress } = command;
  v.check([notes, trackingNumber, carrier, shippingAddress].some((value) => value !== undefined), "order_id", "nothing to update: set notes, tracking_number, carrier or shipping_address");
  v.throwIfAny();
  return command;
}

const NOT_SHIPPED = ["PENDING", "CONFIRMED", "PAID", "PROCESSING"] as const;
const OPEN = [...NOT_SHIPPED, "SHIPPED", "DELIVERED"] as const;

/** Only the fields that are set change; the event names the ones whose value differs. */
export async function updateOrder(order: Order, command: UpdateOrderCommand): Promise<ChangeOutcome> {
  const changed: string[] = [];
  if (command.shippingAddress) {
    requireStatus(order, NOT_SHIPPED, "change the shipping address");
    if (JSON.stringify(order.shippingAddress) !== JSON.stringify(command.shippingAddress)) changed.push("shipping_address");
    order.shippingAddress = command.shippingAddress;
  }
  if (command.trackingNumber !== undefined || command.carrier !== undefined) {
    requireStatus(order, OPEN, "change tracking");
    if (command.trackingNumber === "" && (order.status === "SHIPPED" || order.status === "DELIVERED")) {
      throw new FailedPreconditionError("TRACKING_REQUIRED", "a shipped order keeps its tracking number; send a new one instead of clearing it");
    }
  }
  if (command.trackingNumber !== undefined && command.trackingNumber !== order.trackingNumber) {
    order.trackingNumber = command.trackingNumber;
    changed.push("tracking_number");
  }
  if (command.carrier !== undefined && command.carrier !== order.carrier) {
    order.carrier = command.carrier;
    changed.push("carrier");
  }
  if (command.notes !== undefined && command.notes !== order.notes) {
    order.notes = command.notes;
    changed.push("notes");
  }
  return { events: changed.length ? [{ case: "orderUpdated", value: { changedFields: changed } }] : [] };
}

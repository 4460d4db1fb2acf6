import type { UpdateOrderRequest } from "../../gen/shop/order/v1/order_pb.js";
import { REQUEST_ID, Violations } from "../platform/validation.js";
import { CARRIER, TRACKING_NUMBER } from "./change-status.js";
import { orderIdField } from "./order-id.js";
import type { MutationTarget } from "./order-mutation.js";
import type { DetailsUpdate } from "./order.js";
import { parseAddress } from "./place-order-input.js";

export interface UpdateOrderCommand extends MutationTarget, DetailsUpdate {
  readonly requestId: string;
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
  v.check(
    [notes, trackingNumber, carrier, shippingAddress].some((value) => value !== undefined),
    "order_id",
    "nothing to update: set notes, tracking_number, carrier or shipping_address",
  );
  v.throwIfAny();
  return command;
}

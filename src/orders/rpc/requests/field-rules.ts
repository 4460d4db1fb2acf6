import { REQUEST_ID, UUID, Violations } from "../../../platform/validation.js";
import type { MutationTarget } from "../../mutate-order.js";

/*
 * The rules of the order API's fields, each in one place: what a request may hold before any use
 * case sees it. The parsers beside this file apply them and collect every violation at once.
 */
export const TRACKING_NUMBER = { max: 64, pattern: /^[A-Za-z0-9-]+$/, hint: "must be letters, digits or dashes" };
export const CARRIER = { max: 64 };
export const REASON = { max: 500 };
export const NOTES = { max: 1000 };
export const ORDER_NUMBER = { max: 32, pattern: /^[A-Za-z0-9-]*$/, hint: "must be an order number such as ORD-2026-000123" };
export const EMAIL = { min: 1, max: 320, pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, hint: "must be an email address" };

export function orderIdField(v: Violations, value: string, field = "order_id"): string {
  return v.text(field, value, UUID).toLowerCase();
}

export function itemIdField(v: Violations, value: string): string {
  return v.text("item_id", value, UUID).toLowerCase();
}

export function parseOrderId(value: string, field = "order_id"): string {
  const v = new Violations();
  const id = orderIdField(v, value, field);
  v.throwIfAny();
  return id;
}

/** What every change of an existing order names: its request id, the order, and the version the caller saw. */
export interface ChangeTarget extends MutationTarget {
  readonly requestId: string;
}

export function changeTargetOf(request: { requestId: string; orderId: string; expectedVersion?: bigint }, v: Violations): ChangeTarget {
  return {
    requestId: v.text("request_id", request.requestId, REQUEST_ID),
    orderId: orderIdField(v, request.orderId),
    expectedVersion: request.expectedVersion,
  };
}

import { UUID, Violations } from "../platform/validation.js";

export function parseOrderId(value: string, field = "order_id"): string {
  const v = new Violations();
  const id = orderIdField(v, value, field);
  v.throwIfAny();
  return id;
}

/** For parsers that collect every violation before throwing. */
export function orderIdField(v: Violations, value: string, field = "order_id"): string {
  return v.text(field, value, UUID).toLowerCase();
}

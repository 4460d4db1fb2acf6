import { FailedPreconditionError } from "../../platform/errors/domain-errors.js";

/*
 * The fulfilment order's states and moves, as data beside the order's (orders/domain/order-status.ts).
 * OPEN: waiting to ship. SCHEDULED: not before its fulfill_at. ON_HOLD: while a hold is unreleased.
 * IN_PROGRESS: part of it has shipped. CLOSED: everything shipped. INCOMPLETE: everything shipped
 * but a shipment failed to arrive. CANCELLED: nothing more ships from it.
 */
export const FULFILMENT_STATUSES = ["OPEN", "SCHEDULED", "ON_HOLD", "IN_PROGRESS", "INCOMPLETE", "CLOSED", "CANCELLED"] as const;
export type FulfilmentStatus = (typeof FULFILMENT_STATUSES)[number];

/** Every legal move. Anything not listed is illegal, including staying in place. */
export const FULFILMENT_TRANSITIONS: Readonly<Record<FulfilmentStatus, readonly FulfilmentStatus[]>> = {
  OPEN: ["SCHEDULED", "ON_HOLD", "IN_PROGRESS", "CLOSED", "CANCELLED"],
  SCHEDULED: ["OPEN", "ON_HOLD", "CANCELLED"],
  ON_HOLD: ["OPEN", "SCHEDULED", "IN_PROGRESS", "CANCELLED"],
  IN_PROGRESS: ["OPEN", "SCHEDULED", "ON_HOLD", "CLOSED", "INCOMPLETE", "CANCELLED"],
  CLOSED: ["OPEN", "INCOMPLETE", "IN_PROGRESS"],
  INCOMPLETE: ["CLOSED", "IN_PROGRESS"],
  CANCELLED: [],
};

/**
 * What a fulfilment order may have done to it in each status. Every guard of the aggregate reads
 * this; the moves that follow are checked against the table above.
 */
export const FULFILMENT_ALLOWED_IN = {
  hold: ["OPEN", "SCHEDULED", "ON_HOLD", "IN_PROGRESS"],
  release: ["ON_HOLD"],
  ship: ["OPEN", "IN_PROGRESS"],
  // Only while nothing of it has shipped: units on their way cannot change location or order.
  move: ["OPEN", "SCHEDULED", "ON_HOLD"],
  split: ["OPEN", "SCHEDULED", "ON_HOLD"],
  merge: ["OPEN", "SCHEDULED", "ON_HOLD"],
  schedule: ["OPEN", "SCHEDULED"],
  cancel: ["OPEN", "SCHEDULED", "ON_HOLD", "IN_PROGRESS"],
} as const satisfies Record<string, readonly FulfilmentStatus[]>;
export type FulfilmentAction = keyof typeof FULFILMENT_ALLOWED_IN;

export function isAllowedIn(status: FulfilmentStatus, action: FulfilmentAction): boolean {
  return (FULFILMENT_ALLOWED_IN[action] as readonly FulfilmentStatus[]).includes(status);
}

export class FulfilmentStatusForbidsError extends FailedPreconditionError {
  constructor(id: string, status: FulfilmentStatus, action: FulfilmentAction) {
    super(
      "FULFILLMENT_STATUS_FORBIDS",
      `cannot ${action} fulfilment order "${id}" while it is ${status}; allowed in ${FULFILMENT_ALLOWED_IN[action].join(", ")}`,
      [{ type: "FULFILLMENT_STATUS", subject: `fulfillmentOrders/${id}`, description: `is ${status}` }],
    );
  }
}

export class IllegalFulfilmentTransitionError extends FailedPreconditionError {
  constructor(from: FulfilmentStatus, to: FulfilmentStatus) {
    const allowed = FULFILMENT_TRANSITIONS[from];
    super(
      "ILLEGAL_FULFILLMENT_TRANSITION",
      `a fulfilment order cannot move from ${from} to ${to}; from ${from} it can move to ${allowed.length ? allowed.join(", ") : "nothing (terminal)"}`,
      [{ type: "FULFILLMENT_TRANSITION", subject: `${from}->${to}`, description: "not in the fulfilment transition table" }],
    );
  }
}

/** Returns the new status or throws; never a silent no-op. */
export function transitionFulfilment(from: FulfilmentStatus, to: FulfilmentStatus): FulfilmentStatus {
  if (!FULFILMENT_TRANSITIONS[from].includes(to)) throw new IllegalFulfilmentTransitionError(from, to);
  return to;
}

export const HOLD_REASONS = ["AWAITING_PAYMENT", "HIGH_RISK_OF_FRAUD", "INCORRECT_ADDRESS", "INVENTORY_OUT_OF_STOCK", "OTHER"] as const;
export type HoldReason = (typeof HOLD_REASONS)[number];

export const SHIPMENT_STATUSES = ["READY", "IN_TRANSIT", "DELIVERED", "FAILED", "CANCELLED"] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

/**
 * A shipment's moves: READY (stock committed, waiting for the carrier), IN_TRANSIT (handed over),
 * then DELIVERED or FAILED; a failed one the carrier delivers after all may still be DELIVERED.
 * Only a READY one can be cancelled: its units go back to the fulfilment order. DELIVERED is
 * final, so an item or order that was delivered never moves back.
 */
export const SHIPMENT_TRANSITIONS: Readonly<Record<ShipmentStatus, readonly ShipmentStatus[]>> = {
  READY: ["IN_TRANSIT", "CANCELLED"],
  IN_TRANSIT: ["DELIVERED", "FAILED"],
  DELIVERED: [],
  FAILED: ["DELIVERED"],
  CANCELLED: [],
};

/** Handed to the carrier: its units count as shipped for the item and the order. */
export const HANDED_OVER: readonly ShipmentStatus[] = ["IN_TRANSIT", "DELIVERED", "FAILED"];

export class IllegalShipmentTransitionError extends FailedPreconditionError {
  constructor(id: string, from: ShipmentStatus, to: ShipmentStatus) {
    const allowed = SHIPMENT_TRANSITIONS[from];
    super(
      "ILLEGAL_SHIPMENT_TRANSITION",
      `shipment "${id}" cannot move from ${from} to ${to}; from ${from} it can move to ${allowed.length ? allowed.join(", ") : "nothing (terminal)"}`,
      [{ type: "SHIPMENT_TRANSITION", subject: `shipments/${id}`, description: `${from}->${to} is not in the shipment transition table` }],
    );
  }
}

export function transitionShipment(id: string, from: ShipmentStatus, to: ShipmentStatus): ShipmentStatus {
  if (!SHIPMENT_TRANSITIONS[from].includes(to)) throw new IllegalShipmentTransitionError(id, from, to);
  return to;
}

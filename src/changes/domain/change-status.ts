import { FailedPreconditionError } from "../../platform/errors/domain-errors.js";

export const CHANGE_TYPES = ["EDIT", "RETURN", "EXCHANGE", "CLAIM"] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

export const CHANGE_STATUSES = ["PENDING", "REQUESTED", "CONFIRMED", "DECLINED", "CANCELED"] as const;
export type ChangeStatus = (typeof CHANGE_STATUSES)[number];

/**
 * Every legal move of a change. Staff's changes start PENDING, a customer's REQUESTED; only an
 * open change (PENDING or REQUESTED) moves, and an order has at most one open change.
 */
export const CHANGE_TRANSITIONS: Readonly<Record<ChangeStatus, readonly ChangeStatus[]>> = {
  PENDING: ["REQUESTED", "CONFIRMED", "CANCELED"],
  REQUESTED: ["CONFIRMED", "DECLINED", "CANCELED"],
  CONFIRMED: [],
  DECLINED: [],
  CANCELED: [],
};

export const RETURN_STATUSES = ["REQUESTED", "AWAITING_RECEIPT", "RECEIVED", "DECLINED", "CANCELED"] as const;
export type ReturnStatus = (typeof RETURN_STATUSES)[number];

/** Where a return's goods are: asked for, on their way back (confirmed), received; or turned down or withdrawn before. */
export const RETURN_TRANSITIONS: Readonly<Record<ReturnStatus, readonly ReturnStatus[]>> = {
  REQUESTED: ["AWAITING_RECEIPT", "DECLINED", "CANCELED"],
  AWAITING_RECEIPT: ["RECEIVED"],
  RECEIVED: [],
  DECLINED: [],
  CANCELED: [],
};

export function isOpen(status: ChangeStatus): boolean {
  return status === "PENDING" || status === "REQUESTED";
}

export class IllegalChangeTransitionError extends FailedPreconditionError {
  constructor(changeId: string, what: "change" | "return", from: string, to: string, allowed: readonly string[]) {
    super(
      what === "change" ? "ILLEGAL_CHANGE_TRANSITION" : "ILLEGAL_RETURN_TRANSITION",
      `the ${what} cannot move from ${from} to ${to}; from ${from} it can move to ${allowed.length ? allowed.join(", ") : "nothing (final)"}`,
      [{ type: what === "change" ? "CHANGE_STATUS" : "RETURN_STATUS", subject: `changes/${changeId}`, description: `is ${from}` }],
    );
  }
}

export function transitionChange(changeId: string, from: ChangeStatus, to: ChangeStatus): ChangeStatus {
  if (!CHANGE_TRANSITIONS[from].includes(to))
    throw new IllegalChangeTransitionError(changeId, "change", from, to, CHANGE_TRANSITIONS[from]);
  return to;
}

export function transitionReturn(changeId: string, from: ReturnStatus, to: ReturnStatus): ReturnStatus {
  if (!RETURN_TRANSITIONS[from].includes(to))
    throw new IllegalChangeTransitionError(changeId, "return", from, to, RETURN_TRANSITIONS[from]);
  return to;
}

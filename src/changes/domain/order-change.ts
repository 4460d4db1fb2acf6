import { FailedPreconditionError, InvalidArgumentError } from "../../platform/errors/domain-errors.js";
import type { AuditStamp } from "../../orders/domain/audit-stamp.js";
import type { AddItemAction, ChangeAction, ChangeLine, OrderChangeFields, ReceivedLine } from "./change-data.js";
import { isOpen, transitionChange, transitionReturn, type ChangeType } from "./change-status.js";

export type OrderChangeView = Readonly<OrderChangeFields>;

/** What happened to a change; written to the order's topic, keyed by the order. */
export type ChangeEvent =
  | { readonly type: "OrderChangeRequested" }
  | { readonly type: "OrderChangeConfirmed" }
  | { readonly type: "OrderChangeDeclined"; readonly reason: string }
  | { readonly type: "OrderChangeCanceled"; readonly reason: string }
  | { readonly type: "ReturnReceived" };

/** An order has had at most this many changes. */
export const MAX_CHANGES = 50;
/** A change holds at most this many actions. */
export const MAX_ACTIONS = 50;

/** What kinds of action each type of change is made of. */
const ACTIONS_OF: Record<ChangeType, readonly ChangeAction["kind"][]> = {
  EDIT: ["EDIT_ITEM"],
  RETURN: ["RETURN_ITEM"],
  EXCHANGE: ["RETURN_ITEM", "ADD_ITEM"],
  CLAIM: ["CLAIM_ITEM"],
};

/** Types whose goods come back: they have a return status and are received. */
const COMES_BACK: readonly ChangeType[] = ["RETURN", "EXCHANGE"];

/** The units a change takes back from the customer (returned or claimed), in its order. */
export function takenBack(actions: readonly ChangeAction[]): Extract<ChangeAction, { kind: "RETURN_ITEM" | "CLAIM_ITEM" }>[] {
  return actions.filter((action) => action.kind === "RETURN_ITEM" || action.kind === "CLAIM_ITEM");
}

/** The new items a change sends out (an exchange's). */
export function added(actions: readonly ChangeAction[]): AddItemAction[] {
  return actions.filter((action) => action.kind === "ADD_ITEM");
}

export interface NewChange {
  readonly id: string;
  readonly orderId: string;
  readonly orderVersion: number;
  readonly type: ChangeType;
  readonly actions: readonly ChangeAction[];
  readonly note: string;
  readonly byCustomer: boolean;
  readonly sellerIds: readonly string[];
}

/**
 * A change of an order: its actions and where it stands (the change table and, for returns, the
 * return table in change-status.ts). It does not touch the order; the use cases apply it to the
 * order (changes/) in the order's transaction, and this records what was done.
 */
export class OrderChange {
  readonly #data: OrderChangeFields;
  readonly #events: ChangeEvent[] = [];

  private constructor(data: OrderChangeFields) {
    this.#data = { ...data, actions: [...data.actions], lines: [...data.lines], received: [...data.received] };
  }

  /**
   * A new change: PENDING when staff make it, REQUESTED when the buyer asks. Its actions must be
   * of its type and name each item (or, for new items, each product and variant) once; an
   * exchange both takes back and sends out. Whether the order can take them is the order's to say.
   */
  static create(change: NewChange, by: AuditStamp): OrderChange {
    const allowed = ACTIONS_OF[change.type];
    const seen = new Set<string>();
    const violations = change.actions.flatMap((action, i) => {
      const wrong = !allowed.includes(action.kind)
        ? [{ field: `actions[${i}]`, description: `a ${change.type} change is made of ${allowed.join(", ")} actions` }]
        : [];
      const key = action.kind === "ADD_ITEM" ? `${action.productId}/${action.variantId}` : action.itemId;
      const twice = seen.has(key)
        ? [
            action.kind === "ADD_ITEM"
              ? { field: `actions[${i}].add_item.product_id`, description: "names a product and variant an earlier action adds" }
              : { field: `actions[${i}].item_id`, description: "names an item an earlier action names; send one action per item" },
          ]
        : [];
      seen.add(key);
      return [...wrong, ...twice];
    });
    if (!change.actions.length) violations.push({ field: "actions", description: "must hold at least one action" });
    else if (change.type === "EXCHANGE" && !(takenBack(change.actions).length && added(change.actions).length))
      violations.push({ field: "actions", description: "an exchange takes back at least one item (return_item) and sends one (add_item)" });
    if (violations.length) throw new InvalidArgumentError(violations);
    if (added(change.actions).some((action) => !action.itemId)) throw new Error("OrderChange.create: new items are priced first");
    const created = new OrderChange({
      ...change,
      actions: [...change.actions],
      sellerIds: [...change.sellerIds],
      status: change.byCustomer ? "REQUESTED" : "PENDING",
      returnStatus: COMES_BACK.includes(change.type) ? "REQUESTED" : "",
      lines: [],
      createdBy: by.actor,
      decisionReason: "",
      decidedBy: "",
      received: [],
      receivingLocationId: "",
      version: 1,
      createdAt: by.at,
      updatedAt: by.at,
    });
    created.#events.push({ type: "OrderChangeRequested" });
    return created;
  }

  /**
   * An item edit, made through the item RPCs: applied as it is made, so it is CONFIRMED from the
   * start (never open, so it never stands in another change's way). `lines` says what it cost.
   */
  static edited(
    change: Omit<NewChange, "type" | "byCustomer" | "note" | "actions"> & { readonly action: Extract<ChangeAction, { kind: "EDIT_ITEM" }> },
    lines: readonly ChangeLine[],
    by: AuditStamp,
  ): OrderChange {
    const { action, ...rest } = change;
    const made = new OrderChange({
      ...rest,
      type: "EDIT",
      actions: [action],
      sellerIds: [...change.sellerIds],
      status: "CONFIRMED",
      returnStatus: "",
      lines: [...lines],
      note: "",
      createdBy: by.actor,
      byCustomer: false,
      decisionReason: "",
      decidedBy: by.actor,
      received: [],
      receivingLocationId: "",
      version: 1,
      createdAt: by.at,
      updatedAt: by.at,
    });
    made.#events.push({ type: "OrderChangeConfirmed" });
    return made;
  }

  static restore(view: OrderChangeView): OrderChange {
    return new OrderChange(view);
  }

  get id(): string {
    return this.#data.id;
  }

  get view(): OrderChangeView {
    return { ...this.#data, actions: [...this.#data.actions], lines: [...this.#data.lines], received: [...this.#data.received] };
  }

  takeEvents(): ChangeEvent[] {
    return this.#events.splice(0);
  }

  /** The store's word that the change is stored. */
  stored(version: number, at: Date): void {
    this.#data.version = version;
    this.#data.updatedAt = at;
  }

  /** Applied to the order: `lines` says what each action refunded or cost. A return now waits for its goods. */
  confirm(lines: readonly ChangeLine[], by: AuditStamp): void {
    this.#move("CONFIRMED", by);
    this.#data.lines = [...lines];
    if (this.#data.returnStatus) this.#data.returnStatus = transitionReturn(this.id, this.#data.returnStatus, "AWAITING_RECEIPT");
    this.#events.push({ type: "OrderChangeConfirmed" });
  }

  decline(reason: string, by: AuditStamp): void {
    this.#move("DECLINED", by);
    this.#data.decisionReason = reason;
    if (this.#data.returnStatus) this.#data.returnStatus = transitionReturn(this.id, this.#data.returnStatus, "DECLINED");
    this.#events.push({ type: "OrderChangeDeclined", reason });
  }

  cancel(reason: string, by: AuditStamp): void {
    this.#move("CANCELED", by);
    this.#data.decisionReason = reason;
    if (this.#data.returnStatus) this.#data.returnStatus = transitionReturn(this.id, this.#data.returnStatus, "CANCELED");
    this.#events.push({ type: "OrderChangeCanceled", reason });
  }

  /**
   * The units of a confirmed return as they arrived: each item once, one of the return's, no more
   * than it asked for. `lines`, when the refund came with the goods, says what it refunded.
   */
  receive(received: readonly ReceivedLine[], locationId: string, lines: readonly ChangeLine[] | undefined, by: AuditStamp): void {
    if (this.#data.returnStatus !== "AWAITING_RECEIPT") {
      throw new FailedPreconditionError(
        "RETURN_NOT_AWAITED",
        `the return is ${this.#data.returnStatus || "not a return"}, not AWAITING_RECEIPT`,
        [{ type: "RETURN_STATUS", subject: `changes/${this.id}`, description: `is ${this.#data.returnStatus || "none"}` }],
      );
    }
    this.checkReceipt(received);
    this.#data.returnStatus = transitionReturn(this.id, this.#data.returnStatus, "RECEIVED");
    this.#data.received = [...received];
    this.#data.receivingLocationId = locationId;
    if (lines) this.#data.lines = [...lines];
    this.#data.updatedAt = by.at;
    this.#events.push({ type: "ReturnReceived" });
  }

  /** Throws unless `received` names each item of the return at most once, within what it asked for. */
  checkReceipt(received: readonly ReceivedLine[]): void {
    const asked = new Map(takenBack(this.#data.actions).map((action) => [action.itemId, action.quantity]));
    const seen = new Set<string>();
    const violations = received.flatMap((line, i) => {
      const field = `lines[${i}]`;
      const quantity = asked.get(line.itemId);
      if (quantity === undefined) return [{ field: `${field}.item_id`, description: "is not an item of this return" }];
      if (seen.has(line.itemId)) return [{ field: `${field}.item_id`, description: "is named twice" }];
      seen.add(line.itemId);
      if (line.good + line.damaged > quantity)
        return [{ field: `${field}.good_quantity`, description: `good and damaged add up to more than the ${quantity} returned` }];
      return [];
    });
    if (!received.some((line) => line.good + line.damaged > 0))
      violations.push({ field: "lines", description: "must receive at least one unit" });
    if (violations.length) throw new InvalidArgumentError(violations);
  }

  get isOpen(): boolean {
    return isOpen(this.#data.status);
  }

  #move(to: OrderChangeFields["status"], by: AuditStamp): void {
    this.#data.status = transitionChange(this.id, this.#data.status, to);
    this.#data.decidedBy = by.actor;
    this.#data.updatedAt = by.at;
  }
}

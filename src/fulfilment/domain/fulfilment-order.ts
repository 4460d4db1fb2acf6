import type { AuditStamp } from "../../orders/domain/audit-stamp.js";
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from "../../platform/errors/domain-errors.js";
import {
  FulfilmentStatusForbidsError,
  isAllowedIn,
  transitionFulfilment,
  transitionShipment,
  type FulfilmentAction,
  type FulfilmentStatus,
  type HoldReason,
  type ShipmentStatus,
} from "./fulfilment-status.js";
import type { FulfilmentLine, FulfilmentOrderData, Hold, Shipment, ShipmentLine } from "./fulfilment-data.js";

export type { FulfilmentLine, FulfilmentOrderData, Hold, Shipment, ShipmentLine } from "./fulfilment-data.js";

export type FulfilmentOrderView = Readonly<FulfilmentOrderData>;

/** Units of one line at one location: what Inventory commits, releases or moves. */
export interface StockUnits {
  readonly productId: string;
  readonly variantId: string;
  readonly locationId: string;
  readonly quantity: number;
}

/** What a change needs done at Inventory, in this order; the use case does it. */
export type FulfilmentEffect =
  | { readonly kind: "commit units"; readonly units: StockUnits[] }
  | { readonly kind: "uncommit units"; readonly units: StockUnits[] }
  | { readonly kind: "release units"; readonly units: StockUnits[] }
  /** Shipped units back on sale at their location (a return received in good condition). */
  | { readonly kind: "restock units"; readonly units: StockUnits[] }
  | { readonly kind: "move units"; readonly units: StockUnits[]; readonly toLocationId: string };

/** What happened, in the aggregate's own terms; the outbox adapter writes them as events of the order. */
export type FulfilmentEvent =
  | { readonly type: "FulfillmentOrderCreated"; readonly fulfillmentOrderId: string }
  | { readonly type: "FulfillmentOrderHeld"; readonly fulfillmentOrderId: string; readonly handle: string; readonly reason: HoldReason }
  | { readonly type: "FulfillmentOrderReleased"; readonly fulfillmentOrderId: string; readonly handles: string[] }
  | {
      readonly type: "FulfillmentOrderMoved";
      readonly fulfillmentOrderId: string;
      readonly fromLocationId: string;
      readonly toLocationId: string;
    }
  | { readonly type: "FulfillmentOrderSplit"; readonly fulfillmentOrderId: string; readonly newFulfillmentOrderId: string }
  | { readonly type: "FulfillmentOrderMerged"; readonly fulfillmentOrderId: string; readonly mergedFulfillmentOrderId: string }
  | { readonly type: "FulfillmentOrderCancelled"; readonly fulfillmentOrderId: string }
  | { readonly type: "ShipmentCreated"; readonly fulfillmentOrderId: string; readonly shipmentId: string }
  | { readonly type: "ShipmentInTransit"; readonly fulfillmentOrderId: string; readonly shipmentId: string }
  | { readonly type: "ShipmentDelivered"; readonly fulfillmentOrderId: string; readonly shipmentId: string }
  | { readonly type: "ShipmentFailed"; readonly fulfillmentOrderId: string; readonly shipmentId: string; readonly reason: string }
  | { readonly type: "ShipmentCancelled"; readonly fulfillmentOrderId: string; readonly shipmentId: string }
  | { readonly type: "ShipmentTrackingChanged"; readonly fulfillmentOrderId: string; readonly shipmentId: string };

/** Bounds that keep one fulfilment order's row, and the work of reading it, small. */
export const MAX_HOLDS = 20;
export const MAX_SHIPMENTS = 50;

/** Line quantities a hold, split or shipment takes: by fulfilment line id. */
export type LineQuantities = ReadonlyMap<string, number>;

export interface NewFulfilmentOrder {
  readonly id: string;
  readonly orderId: string;
  readonly sellerId: string;
  readonly locationId: string;
  readonly lines: readonly Omit<FulfilmentLine, "remaining">[];
}

export interface NewHold {
  readonly reason: HoldReason;
  readonly note: string;
  /** Chosen by the caller, or made from the reason. */
  readonly handle?: string;
}

export interface NewShipment {
  readonly id: string;
  readonly lines: LineQuantities;
  readonly carrier: string;
  readonly trackingNumber: string;
  readonly trackingUrl: string;
  /** Handed to the carrier at once (IN_TRANSIT), instead of READY. */
  readonly handedOver: boolean;
}

/** Line ids for the new order's lines when a part of this one splits off. */
export type NewIds = () => string;

/**
 * The fulfilment order aggregate: what one seller ships from one location for one order. Its
 * methods are the only way it changes; each checks its guard against FULFILMENT_ALLOWED_IN,
 * records events, settles its status from its state through the transition table, and returns
 * what Inventory must do instead of doing it. Remaining plus what its shipments hold is always
 * what it was given.
 */
export class FulfilmentOrder {
  readonly #data: FulfilmentOrderData;
  readonly #events: FulfilmentEvent[] = [];

  private constructor(data: FulfilmentOrderData) {
    this.#data = structuredClone(data);
  }

  static restore(view: FulfilmentOrderView): FulfilmentOrder {
    return new FulfilmentOrder(view);
  }

  /** A new fulfilment order, OPEN, holding `hold` when given (a card order waits for its capture). */
  static create(input: NewFulfilmentOrder, by: AuditStamp, hold?: NewHold & { id: string }): FulfilmentOrder {
    if (!input.lines.length || input.lines.some((line) => line.quantity <= 0)) {
      throw new InvalidArgumentError([{ field: "lines", description: "a fulfilment order needs lines of at least one unit" }]);
    }
    const order = new FulfilmentOrder({
      ...input,
      status: "OPEN",
      fulfillAt: null,
      version: 1,
      createdAt: by.at,
      updatedAt: by.at,
      lines: input.lines.map((line) => ({ ...line, remaining: line.quantity })),
      holds: [],
      shipments: [],
    });
    order.#events.push({ type: "FulfillmentOrderCreated", fulfillmentOrderId: input.id });
    if (hold) order.#addHold(hold.id, hold, by);
    order.#settle(by.at);
    return order;
  }

  get id(): string {
    return this.#data.id;
  }

  get status(): FulfilmentStatus {
    return this.#data.status;
  }

  get view(): FulfilmentOrderView {
    return structuredClone(this.#data);
  }

  takeEvents(): FulfilmentEvent[] {
    return this.#events.splice(0);
  }

  stored(version: number, at: Date): void {
    this.#data.version = version;
    this.#data.updatedAt = at;
  }

  /**
   * Holds the whole order, or only `lines` (by line and quantity): those split off into a new
   * fulfilment order, returned, which takes the hold while this one keeps the rest and its state.
   */
  hold(
    hold: NewHold & { id: string },
    by: AuditStamp,
    part?: { lines: LineQuantities; newId: string; newLineId: NewIds },
  ): FulfilmentOrder {
    this.#require("hold");
    this.#checkCanHold(hold.handle);
    if (part && !this.#takesEverything(part.lines)) {
      const split = this.split(part.lines, part.newId, part.newLineId, by);
      split.#addHold(hold.id, hold, by);
      split.#settle(by.at);
      return split;
    }
    this.#addHold(hold.id, hold, by);
    this.#settle(by.at);
    return this;
  }

  /** Releases the named holds (all unreleased ones when none are named); it leaves ON_HOLD once none is left. */
  release(handles: readonly string[], by: AuditStamp): void {
    this.#require("release");
    const open = this.#data.holds.filter((hold) => hold.releasedAt === null);
    const named = handles.length ? handles.map((handle) => this.#hold(handle)) : open;
    for (const hold of named) {
      if (hold.releasedAt !== null)
        throw new FailedPreconditionError("HOLD_ALREADY_RELEASED", `hold "${hold.handle}" was released already`);
      hold.releasedAt = by.at;
      hold.releasedBy = by.actor;
    }
    this.#events.push({ type: "FulfillmentOrderReleased", fulfillmentOrderId: this.id, handles: named.map((hold) => hold.handle) });
    this.#settle(by.at);
  }

  /** The payment was captured: its AWAITING_PAYMENT hold, if any, is released by itself. */
  releasePaymentHold(by: AuditStamp): void {
    // A cancelled one (the order's items were re-planned) keeps its hold: nothing ships from it anyway.
    if (!isAllowedIn(this.status, "release")) return;
    const waiting = this.#data.holds.filter((hold) => hold.releasedAt === null && hold.reason === "AWAITING_PAYMENT");
    if (waiting.length)
      this.release(
        waiting.map((hold) => hold.handle),
        by,
      );
  }

  /** The given line quantities become a fulfilment order of their own at the same location, holds and all. */
  split(lines: LineQuantities, newId: string, newLineId: NewIds, by: AuditStamp): FulfilmentOrder {
    this.#require("split");
    this.#checkTakes(lines, { some: true, notAll: true });
    const taken: FulfilmentLine[] = [];
    for (const [lineId, quantity] of lines) {
      const line = this.#line(lineId);
      line.quantity -= quantity;
      line.remaining -= quantity;
      taken.push({ ...line, id: newLineId(), quantity, remaining: quantity });
    }
    this.#data.lines = this.#data.lines.filter((line) => line.quantity > 0);
    const split = new FulfilmentOrder({
      ...this.#data,
      id: newId,
      version: 1,
      createdAt: by.at,
      updatedAt: by.at,
      lines: taken,
      holds: this.#data.holds.filter((hold) => hold.releasedAt === null).map((hold) => ({ ...hold })),
      shipments: [],
    });
    this.#events.push({ type: "FulfillmentOrderSplit", fulfillmentOrderId: this.id, newFulfillmentOrderId: newId });
    split.#events.push({ type: "FulfillmentOrderCreated", fulfillmentOrderId: newId });
    this.#settle(by.at);
    split.#settle(by.at);
    return split;
  }

  /** Takes `other`'s lines and holds in: the same order, seller and location, nothing of either shipped. `other` is cancelled. */
  merge(other: FulfilmentOrder, by: AuditStamp): void {
    this.#require("merge");
    other.#require("merge");
    const same = (a: FulfilmentOrderData, b: FulfilmentOrderData) =>
      a.orderId === b.orderId && a.sellerId === b.sellerId && a.locationId === b.locationId && a.id !== b.id;
    if (!same(this.#data, other.#data)) {
      throw new FailedPreconditionError(
        "FULFILLMENT_ORDERS_DIFFER",
        "only two fulfilment orders of one order, seller and location can be merged",
      );
    }
    const incoming = other.#data.holds.filter((hold) => hold.releasedAt === null).length;
    if (this.#data.holds.length + incoming > MAX_HOLDS) {
      throw new FailedPreconditionError("TOO_MANY_HOLDS", `merged, fulfilment order "${this.id}" would have more than ${MAX_HOLDS} holds`);
    }
    for (const line of other.#data.lines) {
      const mine = this.#data.lines.find((candidate) => candidate.orderItemId === line.orderItemId);
      if (mine) {
        mine.quantity += line.quantity;
        mine.remaining += line.remaining;
      } else this.#data.lines.push({ ...line });
      line.quantity = line.remaining = 0;
    }
    for (const hold of other.#data.holds.filter((candidate) => candidate.releasedAt === null)) {
      this.#data.holds.push({ ...hold, handle: this.#freeHandle(hold.handle) });
      hold.releasedAt = by.at;
      hold.releasedBy = by.actor;
    }
    other.#data.lines = [];
    other.#data.status = transitionFulfilment(other.status, "CANCELLED");
    this.#events.push({ type: "FulfillmentOrderMerged", fulfillmentOrderId: this.id, mergedFulfillmentOrderId: other.id });
    other.#events.push({ type: "FulfillmentOrderCancelled", fulfillmentOrderId: other.id });
    this.#settle(by.at);
  }

  /** Ships from another location of the same seller from now on; Inventory moves each line's units. Nothing may have shipped. */
  moveTo(locationId: string, by: AuditStamp): FulfilmentEffect[] {
    this.#require("move");
    const from = this.#data.locationId;
    if (locationId === from) throw new FailedPreconditionError("SAME_LOCATION", `fulfilment order "${this.id}" ships from ${from} already`);
    const effects: FulfilmentEffect[] = [
      { kind: "move units", units: this.#data.lines.map((line) => this.#units(line, line.remaining)), toLocationId: locationId },
    ];
    this.#data.locationId = locationId;
    this.#events.push({ type: "FulfillmentOrderMoved", fulfillmentOrderId: this.id, fromLocationId: from, toLocationId: locationId });
    this.#settle(by.at);
    return effects;
  }

  /** Not shipped before `at` (SCHEDULED); null ships it as soon as it may. */
  schedule(at: Date | null, by: AuditStamp): void {
    this.#require("schedule");
    this.#data.fulfillAt = at;
    this.#settle(by.at);
  }

  /** A shipment of the given line quantities (partial allowed); their stock is committed at Inventory. */
  ship(shipment: NewShipment, by: AuditStamp): FulfilmentEffect[] {
    // A SCHEDULED one whose time has come ships as OPEN: judged by the status its state says now.
    const status = this.#statusFromState(by.at);
    if (!isAllowedIn(status, "ship")) throw new FulfilmentStatusForbidsError(this.id, status, "ship");
    this.#checkTakes(shipment.lines, { some: true, notAll: false });
    if (this.#data.shipments.length >= MAX_SHIPMENTS) {
      throw new FailedPreconditionError(
        "TOO_MANY_SHIPMENTS",
        `fulfilment order "${this.id}" has ${MAX_SHIPMENTS} shipments, the most it may`,
      );
    }
    this.#settle(by.at);
    const lines: ShipmentLine[] = [];
    for (const [lineId, quantity] of shipment.lines) {
      const line = this.#line(lineId);
      line.remaining -= quantity;
      lines.push({
        fulfilmentLineId: line.id,
        orderItemId: line.orderItemId,
        productId: line.productId,
        variantId: line.variantId,
        quantity,
      });
    }
    this.#data.shipments.push({
      id: shipment.id,
      status: "READY",
      carrier: shipment.carrier,
      trackingNumber: shipment.trackingNumber,
      trackingUrl: shipment.trackingUrl,
      failureReason: "",
      createdAt: by.at,
      updatedAt: by.at,
      lines,
    });
    this.#events.push({ type: "ShipmentCreated", fulfillmentOrderId: this.id, shipmentId: shipment.id });
    if (shipment.handedOver) this.moveShipment(shipment.id, "IN_TRANSIT", "", by);
    this.#settle(by.at);
    return [{ kind: "commit units", units: lines.map((line) => this.#units(line, line.quantity)) }];
  }

  /**
   * Moves a shipment: handed to the carrier (IN_TRANSIT), DELIVERED or FAILED (with why). A READY
   * one can be CANCELLED: its units go back to the lines, and Inventory holds them again.
   */
  moveShipment(shipmentId: string, to: Exclude<ShipmentStatus, "READY">, reason: string, by: AuditStamp): FulfilmentEffect[] {
    const shipment = this.#shipment(shipmentId);
    shipment.status = transitionShipment(shipment.id, shipment.status, to);
    shipment.updatedAt = by.at;
    const event = { fulfillmentOrderId: this.id, shipmentId };
    const effects: FulfilmentEffect[] = [];
    if (to === "CANCELLED") {
      for (const shipped of shipment.lines) this.#line(shipped.fulfilmentLineId).remaining += shipped.quantity;
      effects.push({ kind: "uncommit units", units: shipment.lines.map((line) => this.#units(line, line.quantity)) });
      this.#events.push({ type: "ShipmentCancelled", ...event });
    } else if (to === "FAILED") {
      shipment.failureReason = reason;
      this.#events.push({ type: "ShipmentFailed", ...event, reason });
    } else {
      this.#events.push({ type: to === "DELIVERED" ? "ShipmentDelivered" : "ShipmentInTransit", ...event });
    }
    this.#settle(by.at);
    return effects;
  }

  /** Corrects a shipment's carrier and tracking. */
  correctTracking(shipmentId: string, tracking: { carrier: string; trackingNumber: string; trackingUrl: string }, by: AuditStamp): void {
    const shipment = this.#shipment(shipmentId);
    if (shipment.status === "CANCELLED") throw new FailedPreconditionError("SHIPMENT_CANCELLED", `shipment "${shipmentId}" was cancelled`);
    Object.assign(shipment, tracking, { updatedAt: by.at });
    this.#events.push({ type: "ShipmentTrackingChanged", fulfillmentOrderId: this.id, shipmentId });
  }

  /**
   * The order item was cancelled: its lines leave this fulfilment order and Inventory gives back
   * their units; a fulfilment order left with no lines is cancelled. Refused while a live shipment
   * carries any of its units (cancel a READY one first).
   */
  dropItem(orderItemId: string, by: AuditStamp): FulfilmentEffect[] {
    const lines = this.#data.lines.filter((line) => line.orderItemId === orderItemId);
    if (!lines.length) return [];
    const carried = this.#data.shipments.some(
      (shipment) => shipment.status !== "CANCELLED" && shipment.lines.some((line) => line.orderItemId === orderItemId),
    );
    if (carried) {
      throw new FailedPreconditionError("ITEM_IN_SHIPMENT", `a shipment of fulfilment order "${this.id}" carries item "${orderItemId}"`);
    }
    this.#data.lines = this.#data.lines.filter((line) => line.orderItemId !== orderItemId);
    const release: FulfilmentEffect = { kind: "release units", units: lines.map((line) => this.#units(line, line.remaining)) };
    if (!this.#data.lines.length) this.cancel(by);
    else this.#settle(by.at);
    return [release];
  }

  /** Nothing more ships from it (the order was cancelled); what its shipments hold stays shipped. */
  cancel(by: AuditStamp): void {
    this.#require("cancel");
    for (const line of this.#data.lines) line.remaining = 0;
    this.#data.status = transitionFulfilment(this.status, "CANCELLED");
    this.#data.updatedAt = by.at;
    this.#events.push({ type: "FulfillmentOrderCancelled", fulfillmentOrderId: this.id });
  }

  /** Checked before anything changes: a hold that splits must not fail once the split is made. */
  #checkCanHold(handle: string | undefined): void {
    if (this.#data.holds.length >= MAX_HOLDS) {
      throw new FailedPreconditionError("TOO_MANY_HOLDS", `fulfilment order "${this.id}" has had ${MAX_HOLDS} holds, the most it may`);
    }
    if (handle !== undefined && this.#data.holds.some((existing) => existing.handle === handle)) {
      throw new FailedPreconditionError("HOLD_HANDLE_TAKEN", `fulfilment order "${this.id}" has a hold "${handle}" already`);
    }
  }

  #addHold(id: string, hold: NewHold, by: AuditStamp): void {
    this.#checkCanHold(hold.handle);
    const handle = hold.handle ?? this.#freeHandle(hold.reason.toLowerCase().replace(/_/g, "-"));
    this.#data.holds.push({
      id,
      handle,
      reason: hold.reason,
      note: hold.note,
      heldBy: by.actor,
      heldAt: by.at,
      releasedAt: null,
      releasedBy: "",
    });
    this.#events.push({ type: "FulfillmentOrderHeld", fulfillmentOrderId: this.id, handle, reason: hold.reason });
  }

  #freeHandle(base: string): string {
    const taken = new Set(this.#data.holds.map((hold) => hold.handle));
    for (let n = 1; ; n++) if (!taken.has(n === 1 ? base : `${base}-${n}`)) return n === 1 ? base : `${base}-${n}`;
  }

  /** The status its state says it has, reached through the transition table: any other move throws. */
  #settle(now: Date): void {
    const target = this.#statusFromState(now);
    if (target !== this.status) this.#data.status = transitionFulfilment(this.status, target);
    this.#data.updatedAt = now;
  }

  #statusFromState(now: Date): FulfilmentStatus {
    if (this.status === "CANCELLED") return "CANCELLED";
    const live = this.#data.shipments.filter((shipment) => shipment.status !== "CANCELLED");
    const remaining = this.#data.lines.reduce((sum, line) => sum + line.remaining, 0);
    if (remaining === 0 && live.length) return live.some((shipment) => shipment.status === "FAILED") ? "INCOMPLETE" : "CLOSED";
    if (this.#data.holds.some((hold) => hold.releasedAt === null)) return "ON_HOLD";
    if (live.length) return "IN_PROGRESS";
    if (this.#data.fulfillAt && this.#data.fulfillAt > now) return "SCHEDULED";
    return "OPEN";
  }

  #require(action: FulfilmentAction): void {
    if (!isAllowedIn(this.status, action)) throw new FulfilmentStatusForbidsError(this.id, this.status, action);
  }

  #takesEverything(lines: LineQuantities): boolean {
    return this.#data.lines.every((line) => (lines.get(line.id) ?? 0) === line.remaining);
  }

  /** Each named line exists with that many units remaining; `notAll`: something must stay behind. */
  #checkTakes(lines: LineQuantities, rule: { some: boolean; notAll: boolean }): void {
    const problems = [];
    for (const [lineId, quantity] of lines) {
      const line = this.#data.lines.find((candidate) => candidate.id === lineId);
      if (!line) problems.push({ field: `lines[${lineId}]`, description: `fulfilment order "${this.id}" has no such line` });
      else if (!Number.isInteger(quantity) || quantity <= 0)
        problems.push({ field: `lines[${lineId}].quantity`, description: "must be at least 1" });
    }
    if (problems.length) throw new InvalidArgumentError(problems);
    // Valid when sent, but another change took the units first (a racing shipment): the state refuses it.
    const short = [...lines].find(([lineId, quantity]) => quantity > this.#line(lineId).remaining);
    if (short) {
      const line = this.#line(short[0]);
      throw new FailedPreconditionError(
        "NOT_ENOUGH_REMAINING",
        `line "${line.id}" has ${line.remaining} units remaining, not ${short[1]}`,
        [
          {
            type: "FULFILLMENT_LINE",
            subject: `fulfillmentOrders/${this.id}/lines/${line.id}`,
            description: `${line.remaining} remaining`,
          },
        ],
      );
    }
    if (rule.some && lines.size === 0) throw new InvalidArgumentError([{ field: "lines", description: "name at least one line" }]);
    if (rule.notAll && this.#takesEverything(lines)) {
      throw new FailedPreconditionError(
        "NOTHING_LEFT_BEHIND",
        "a split must leave something behind; hold or move the whole fulfilment order instead",
      );
    }
  }

  #line(lineId: string): FulfilmentLine {
    const line = this.#data.lines.find((candidate) => candidate.id === lineId);
    if (!line) throw new NotFoundError("fulfillment line", lineId);
    return line;
  }

  #hold(handle: string): Hold {
    const hold = this.#data.holds.find((candidate) => candidate.handle === handle);
    if (!hold) throw new NotFoundError("hold", handle);
    return hold;
  }

  #shipment(shipmentId: string): Shipment {
    const shipment = this.#data.shipments.find((candidate) => candidate.id === shipmentId);
    if (!shipment) throw new NotFoundError("shipment", shipmentId);
    return shipment;
  }

  #units(line: { productId: string; variantId: string }, quantity: number): StockUnits {
    return { productId: line.productId, variantId: line.variantId, locationId: this.#data.locationId, quantity };
  }
}

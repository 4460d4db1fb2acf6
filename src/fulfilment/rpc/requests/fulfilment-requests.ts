import {
  type FulfillmentOrderStatus,
  HoldReason as HoldReasonProto,
  ShipmentStatus as ShipmentStatusProto,
  type CreateShipmentRequest,
  type HoldFulfillmentOrderRequest,
  type LineQuantity,
  type MergeFulfillmentOrdersRequest,
  type MoveFulfillmentOrderRequest,
  type ReleaseFulfillmentOrderRequest,
  type ScheduleFulfillmentOrderRequest,
  type SplitFulfillmentOrderRequest,
  type UpdateShipmentStatusRequest,
  type UpdateShipmentTrackingRequest,
} from "../../../../gen/shop/order/v1/fulfillment_pb.js";
import { MAX_QUANTITY } from "../../../orders/domain/order.js";
import { CARRIER, REASON, TRACKING_NUMBER } from "../../../orders/rpc/requests/field-rules.js";
import { REQUEST_ID, UUID, Violations } from "../../../platform/validation.js";
import { parseQueuePage } from "../../../orders/rpc/requests/queue-page.js";
import type { LineQuantities } from "../../domain/fulfilment-order.js";
import { FULFILMENT_STATUSES, HOLD_REASONS, type HoldReason, type ShipmentStatus } from "../../domain/fulfilment-status.js";
import type { ListFulfilmentQuery } from "../../list-fulfilment.js";
import { fulfilmentStatusFromProto } from "../fulfilment-mapper.js";

/*
 * The parsers of FulfillmentService's changes: each collects every violation before it throws.
 * Repeated fields are counted against their proto maximums before decoding (request-limits.ts).
 */
const HANDLE = { min: 1, max: 40, pattern: /^[a-z0-9][a-z0-9-]*$/, hint: "must be lowercase letters, digits and dashes" };
const LOCATION_ID = { min: 1, max: 255, pattern: /^[\w.:-]+$/, hint: "must be a location id from Inventory's ListLocations" };
const TRACKING_URL = { max: 2048, pattern: /^https:\/\/[^\s]+$/, hint: "must be an https:// URL" };
const NOTE = REASON;

/** Every fulfilment change names its request, the fulfilment order, and the version the caller saw. */
export interface FulfilmentTarget {
  readonly requestId: string;
  readonly fulfillmentOrderId: string;
  readonly expectedVersion?: number;
}

/** Every shipment change names its request, the shipment, and the version of its fulfilment order the caller saw. */
export interface ShipmentTarget {
  readonly requestId: string;
  readonly shipmentId: string;
  readonly expectedVersion?: number;
}

function uuid(v: Violations, field: string, value: string): string {
  return v.text(field, value, UUID).toLowerCase();
}

function version(v: Violations, value: bigint | undefined): number | undefined {
  if (value === undefined) return undefined;
  v.check(value >= 1n && value <= BigInt(Number.MAX_SAFE_INTEGER), "expected_version", "must be a version the service sent");
  return Number(value);
}

function targetOf(request: { requestId: string; fulfillmentOrderId: string; expectedVersion?: bigint }, v: Violations): FulfilmentTarget {
  return {
    requestId: v.text("request_id", request.requestId, REQUEST_ID),
    fulfillmentOrderId: uuid(v, "fulfillment_order_id", request.fulfillmentOrderId),
    expectedVersion: version(v, request.expectedVersion),
  };
}

function shipmentTargetOf(request: { requestId: string; shipmentId: string; expectedVersion?: bigint }, v: Violations): ShipmentTarget {
  return {
    requestId: v.text("request_id", request.requestId, REQUEST_ID),
    shipmentId: uuid(v, "shipment_id", request.shipmentId),
    expectedVersion: version(v, request.expectedVersion),
  };
}

/** Line ids and quantities, each line once. */
function lineQuantities(v: Violations, lines: readonly LineQuantity[], required: boolean): LineQuantities {
  const parsed = new Map<string, number>();
  if (required) v.check(lines.length > 0, "lines", "name at least one line");
  lines.forEach((line, i) => {
    const id = uuid(v, `lines[${i}].line_id`, line.lineId);
    v.check(line.quantity >= 1 && line.quantity <= MAX_QUANTITY, `lines[${i}].quantity`, `must be 1 to ${MAX_QUANTITY}`);
    if (v.check(!parsed.has(id), `lines[${i}].line_id`, "names a line already named; give each line once")) parsed.set(id, line.quantity);
  });
  return parsed;
}

function holdReason(v: Violations, value: HoldReasonProto): HoldReason {
  const reason = HOLD_REASONS.find((name) => HoldReasonProto[name] === value);
  v.check(
    reason !== undefined && reason !== "AWAITING_PAYMENT",
    "reason",
    "must be HIGH_RISK_OF_FRAUD, INCORRECT_ADDRESS, INVENTORY_OUT_OF_STOCK or OTHER (AWAITING_PAYMENT is the payment's own)",
  );
  return reason!;
}

export interface HoldCommand extends FulfilmentTarget {
  readonly reason: HoldReason;
  readonly note: string;
  readonly handle?: string;
  /** Empty: the whole fulfilment order. */
  readonly lines: LineQuantities;
}

export function parseHold(request: HoldFulfillmentOrderRequest): HoldCommand {
  const v = new Violations();
  const handle = request.handle ? v.text("handle", request.handle, HANDLE) : undefined;
  const command = {
    ...targetOf(request, v),
    reason: holdReason(v, request.reason),
    note: v.text("note", request.note, NOTE),
    ...(handle ? { handle } : {}),
    lines: lineQuantities(v, request.lines, false),
  };
  v.throwIfAny();
  return command;
}

export interface ReleaseCommand extends FulfilmentTarget {
  /** Empty: every unreleased hold. */
  readonly handles: string[];
}

export function parseRelease(request: ReleaseFulfillmentOrderRequest): ReleaseCommand {
  const v = new Violations();
  const command = { ...targetOf(request, v), handles: request.handles.map((handle, i) => v.text(`handles[${i}]`, handle, HANDLE)) };
  v.check(new Set(command.handles).size === command.handles.length, "handles", "names a hold twice");
  v.throwIfAny();
  return command;
}

export interface SplitCommand extends FulfilmentTarget {
  readonly lines: LineQuantities;
}

export function parseSplit(request: SplitFulfillmentOrderRequest): SplitCommand {
  const v = new Violations();
  const command = { ...targetOf(request, v), lines: lineQuantities(v, request.lines, true) };
  v.throwIfAny();
  return command;
}

export interface MergeCommand extends FulfilmentTarget {
  readonly otherFulfillmentOrderId: string;
}

export function parseMerge(request: MergeFulfillmentOrdersRequest): MergeCommand {
  const v = new Violations();
  const command = {
    ...targetOf(request, v),
    otherFulfillmentOrderId: uuid(v, "other_fulfillment_order_id", request.otherFulfillmentOrderId),
  };
  v.check(
    command.otherFulfillmentOrderId !== command.fulfillmentOrderId,
    "other_fulfillment_order_id",
    "must name another fulfillment order",
  );
  v.throwIfAny();
  return command;
}

export interface MoveCommand extends FulfilmentTarget {
  readonly locationId: string;
}

export function parseMove(request: MoveFulfillmentOrderRequest): MoveCommand {
  const v = new Violations();
  const command = { ...targetOf(request, v), locationId: v.text("location_id", request.locationId, LOCATION_ID) };
  v.throwIfAny();
  return command;
}

export interface ScheduleCommand extends FulfilmentTarget {
  readonly fulfillAt: Date | null;
}

export function parseSchedule(request: ScheduleFulfillmentOrderRequest): ScheduleCommand {
  const v = new Violations();
  const command = { ...targetOf(request, v), fulfillAt: v.timestamp("fulfill_time", request.fulfillTime) ?? null };
  v.throwIfAny();
  return command;
}

export interface ShipCommand extends FulfilmentTarget {
  /** Empty: everything remaining. */
  readonly lines: LineQuantities;
  readonly carrier: string;
  readonly trackingNumber: string;
  readonly trackingUrl: string;
  readonly handedOver: boolean;
}

export function parseShip(request: CreateShipmentRequest): ShipCommand {
  const v = new Violations();
  const command = {
    ...targetOf(request, v),
    lines: lineQuantities(v, request.lines, false),
    carrier: v.text("carrier", request.carrier, CARRIER),
    trackingNumber: v.text("tracking_number", request.trackingNumber, TRACKING_NUMBER),
    trackingUrl: v.text("tracking_url", request.trackingUrl, TRACKING_URL),
    handedOver: request.handedOver,
  };
  v.check(!command.handedOver || command.trackingNumber !== "", "tracking_number", "is required for a parcel handed to the carrier");
  v.throwIfAny();
  return command;
}

export interface ShipmentStatusCommand extends ShipmentTarget {
  readonly status: Exclude<ShipmentStatus, "READY">;
  readonly reason: string;
}

const SETTABLE: readonly ShipmentStatusCommand["status"][] = ["IN_TRANSIT", "DELIVERED", "FAILED", "CANCELLED"];

export function parseShipmentStatus(request: UpdateShipmentStatusRequest): ShipmentStatusCommand {
  const v = new Violations();
  const status = SETTABLE.find((name) => ShipmentStatusProto[name] === request.status);
  v.check(status !== undefined, "status", `must be ${SETTABLE.join(", ")}`);
  const command = {
    ...shipmentTargetOf(request, v),
    status: status!,
    reason: v.text("reason", request.reason, { ...REASON, min: status === "FAILED" ? 1 : 0 }),
  };
  v.throwIfAny();
  return command;
}

export interface TrackingCommand extends ShipmentTarget {
  readonly carrier: string;
  readonly trackingNumber: string;
  readonly trackingUrl: string;
}

export function parseTracking(request: UpdateShipmentTrackingRequest): TrackingCommand {
  const v = new Violations();
  const command = {
    ...shipmentTargetOf(request, v),
    carrier: v.text("carrier", request.carrier, CARRIER),
    trackingNumber: v.text("tracking_number", request.trackingNumber, { ...TRACKING_NUMBER, min: 1 }),
    trackingUrl: v.text("tracking_url", request.trackingUrl, TRACKING_URL),
  };
  v.throwIfAny();
  return command;
}

export function parseListFulfilment(request: {
  orderId: string;
  statuses: FulfillmentOrderStatus[];
  pageSize: number;
  pageToken: string;
}): Omit<ListFulfilmentQuery, "sellerId"> {
  return parseQueuePage(request, fulfilmentStatusFromProto, FULFILMENT_STATUSES);
}

export function parseListShipments(request: { orderId: string }): string {
  const v = new Violations();
  const orderId = uuid(v, "order_id", request.orderId);
  v.throwIfAny();
  return orderId;
}

import {
  ClaimReason,
  OrderChangeStatus,
  OrderChangeType,
  ReturnReason,
  type ChangeAction as ChangeActionProto,
  type ListOrderChangesRequest,
  type ReceivedLine as ReceivedLineProto,
} from "../../../gen/shop/order/v1/changes_pb.js";
import { MAX_QUANTITY } from "../../orders/domain/order.js";
import { changeTargetOf, REASON, type ChangeTarget } from "../../orders/rpc/requests/field-rules.js";
import { REQUEST_ID, RESOURCE_ID, UUID, Violations } from "../../platform/validation.js";
import { parseQueuePage } from "../../orders/rpc/requests/queue-page.js";
import { CLAIM_REASONS, RETURN_REASONS, type ChangeAction, type ReceivedLine } from "../domain/change-data.js";
import { CHANGE_STATUSES, type ChangeStatus, type ChangeType } from "../domain/change-status.js";
import { MAX_ACTIONS } from "../domain/order-change.js";
import type { NewChangeCommand } from "../change-use-cases.js";

/** The parsers of OrderChangeService's requests: each collects every violation before it throws. */

const NOTE = { max: 500 };

const uuid = (v: Violations, field: string, value: string) => v.text(field, value, UUID).toLowerCase();

const MADE_BY_REQUEST: readonly ChangeType[] = ["RETURN", "EXCHANGE", "CLAIM"];

function typeOf(v: Violations, field: string, type: OrderChangeType): ChangeType {
  const parsed = MADE_BY_REQUEST.find((candidate) => OrderChangeType[candidate] === type);
  v.check(parsed !== undefined, field, `must be one of ${MADE_BY_REQUEST.map((name) => `ORDER_CHANGE_TYPE_${name}`).join(", ")}`);
  return parsed!;
}

function quantity(v: Violations, field: string, value: number): number {
  v.check(value >= 1 && value <= MAX_QUANTITY, field, `must be between 1 and ${MAX_QUANTITY}`);
  return value;
}

function actionOf(v: Violations, action: ChangeActionProto, field: string): ChangeAction | undefined {
  const { case: kind, value } = action.action;
  if (kind === "returnItem") {
    const reason = ReturnReason[value.reason] as (typeof RETURN_REASONS)[number] | undefined;
    v.check(RETURN_REASONS.includes(reason!), `${field}.return_item.reason`, `must be one of ${RETURN_REASONS.join(", ")}`);
    return {
      kind: "RETURN_ITEM",
      itemId: uuid(v, `${field}.return_item.item_id`, value.itemId),
      quantity: quantity(v, `${field}.return_item.quantity`, value.quantity),
      reason: reason!,
      note: v.text(`${field}.return_item.note`, value.note, NOTE),
    };
  }
  if (kind === "claimItem") {
    const reason = ClaimReason[value.reason] as (typeof CLAIM_REASONS)[number] | undefined;
    v.check(CLAIM_REASONS.includes(reason!), `${field}.claim_item.reason`, `must be one of ${CLAIM_REASONS.join(", ")}`);
    return {
      kind: "CLAIM_ITEM",
      itemId: uuid(v, `${field}.claim_item.item_id`, value.itemId),
      quantity: quantity(v, `${field}.claim_item.quantity`, value.quantity),
      reason: reason!,
      note: v.text(`${field}.claim_item.note`, value.note, NOTE),
      replace: value.replace,
      replacementItemId: "",
    };
  }
  if (kind === "addItem") {
    const at = `${field}.add_item`;
    return {
      kind: "ADD_ITEM",
      itemId: "",
      productId: v.text(`${at}.product_id`, value.productId, RESOURCE_ID),
      variantId: value.variantId ? v.text(`${at}.variant_id`, value.variantId, RESOURCE_ID) : "",
      quantity: quantity(v, `${at}.quantity`, value.quantity),
      unitPriceMinor: "",
      sku: "",
      name: "",
      imageUrl: "",
      sellerId: "",
      variantAttributes: {},
    };
  }
  v.check(false, field, "must hold return_item, claim_item or add_item");
  return undefined;
}

/** A change's type and actions, as CreateOrderChange and a preview's draft give them. */
export function parseDraft(v: Violations, request: { type: OrderChangeType; actions: ChangeActionProto[] }, prefix = ""): NewChangeCommand {
  const type = typeOf(v, `${prefix}type`, request.type);
  v.check(request.actions.length > 0, `${prefix}actions`, "must hold at least one action");
  v.check(request.actions.length <= MAX_ACTIONS, `${prefix}actions`, `must hold at most ${MAX_ACTIONS} actions`);
  const actions = request.actions.slice(0, MAX_ACTIONS).flatMap((action, i) => actionOf(v, action, `${prefix}actions[${i}]`) ?? []);
  return { type, actions, note: "" };
}

export interface CreateChangeCommand extends ChangeTarget, NewChangeCommand {}

export function parseCreateChange(request: {
  requestId: string;
  orderId: string;
  expectedVersion?: bigint;
  type: OrderChangeType;
  actions: ChangeActionProto[];
  note: string;
}): CreateChangeCommand {
  const v = new Violations();
  const command = { ...changeTargetOf(request, v), ...parseDraft(v, request), note: v.text("note", request.note, NOTE) };
  v.throwIfAny();
  return command;
}

export type PreviewQuery = { orderId: string } & ({ changeId: string } | { draft: NewChangeCommand });

export function parsePreview(request: {
  orderId: string;
  change:
    | { case: "changeId"; value: string }
    | { case: "draft"; value: { type: OrderChangeType; actions: ChangeActionProto[] } }
    | { case: undefined };
}): PreviewQuery {
  const v = new Violations();
  const orderId = uuid(v, "order_id", request.orderId);
  const { change } = request;
  let query: PreviewQuery = { orderId, changeId: "" };
  if (change.case === "changeId") query = { orderId, changeId: uuid(v, "change_id", change.value) };
  else if (change.case === "draft") query = { orderId, draft: parseDraft(v, change.value, "draft.") };
  else v.check(false, "change", "must hold change_id or draft");
  v.throwIfAny();
  return query;
}

export interface ChangeCommand {
  readonly requestId: string;
  readonly changeId: string;
}

function changeCommand(v: Violations, request: { requestId: string; changeId: string }): ChangeCommand {
  return { requestId: v.text("request_id", request.requestId, REQUEST_ID), changeId: uuid(v, "change_id", request.changeId) };
}

export function parseConfirm(request: { requestId: string; changeId: string; expectedVersion: bigint }) {
  const v = new Violations();
  const command = { ...changeCommand(v, request), expectedVersion: request.expectedVersion };
  v.check(request.expectedVersion > 0n, "expected_version", "is required: the order version the change was previewed at");
  v.throwIfAny();
  return command;
}

export function parseDecision(request: { requestId: string; changeId: string; reason: string }, options: { reasonRequired: boolean }) {
  const v = new Violations();
  const command = {
    ...changeCommand(v, request),
    reason: v.text("reason", request.reason, { ...REASON, min: options.reasonRequired ? 1 : 0 }),
  };
  v.throwIfAny();
  return command;
}

export function parseReceive(request: { requestId: string; changeId: string; locationId: string; lines: ReceivedLineProto[] }) {
  const v = new Violations();
  const lines: ReceivedLine[] = request.lines.slice(0, MAX_ACTIONS).map((line, i) => {
    const field = `lines[${i}]`;
    v.check(line.goodQuantity >= 0 && line.goodQuantity <= MAX_QUANTITY, `${field}.good_quantity`, `must be between 0 and ${MAX_QUANTITY}`);
    v.check(
      line.damagedQuantity >= 0 && line.damagedQuantity <= MAX_QUANTITY,
      `${field}.damaged_quantity`,
      `must be between 0 and ${MAX_QUANTITY}`,
    );
    return { itemId: uuid(v, `${field}.item_id`, line.itemId), good: line.goodQuantity, damaged: line.damagedQuantity };
  });
  v.check(request.lines.length > 0, "lines", "must name at least one item");
  v.check(request.lines.length <= MAX_ACTIONS, "lines", `must hold at most ${MAX_ACTIONS} lines`);
  const command = {
    ...changeCommand(v, request),
    locationId: v.text("location_id", request.locationId, { min: 1, max: 255 }),
    lines,
  };
  v.throwIfAny();
  return command;
}

export function parseChangeId(value: string): string {
  const v = new Violations();
  const id = uuid(v, "change_id", value);
  v.throwIfAny();
  return id;
}

export interface ListChangesQuery {
  readonly orderId: string;
  readonly statuses: readonly ChangeStatus[];
  readonly pageSize: number;
  readonly pageToken: string;
}

export function parseListChanges(request: ListOrderChangesRequest): ListChangesQuery {
  return parseQueuePage(request, (status) => OrderChangeStatus[status] as ChangeStatus | undefined, CHANGE_STATUSES);
}

import type { FulfilmentContext } from "../fulfilment/mutate-fulfilment.js";
import type { MutationContext } from "../orders/mutate-order.js";
import type { AuditStamp } from "../orders/domain/audit-stamp.js";
import { Order, type OrderView } from "../orders/domain/order.js";
import type { PricingPolicy } from "../money/totals.js";
import { newId } from "../platform/clock.js";
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, PermissionDeniedError } from "../platform/errors/domain-errors.js";
import type { ChangeAction, ChangeLine, ReceivedLine } from "./domain/change-data.js";
import type { ChangeType } from "./domain/change-status.js";
import { added, MAX_CHANGES, OrderChange, takenBack } from "./domain/order-change.js";
import { newItemOfAction, priceAdded, sendOut } from "./exchange.js";
import { checkReturnWindow } from "./return-window.js";

/*
 * The use cases of order changes, each one step of a change in the order's transaction
 * (orders/mutate-order.ts): the order is locked, its changes read with it, and what they do to the
 * order, its ledger and its stock is stored with them or not at all.
 */

/** Who acts: a seller acts on changes of its own items only; staff and customers as their RPC's access rule says. */
export interface ChangeActor {
  readonly sellerId?: string;
  readonly customer: boolean;
}

export interface NewChangeCommand {
  readonly type: ChangeType;
  readonly actions: readonly ChangeAction[];
  readonly note: string;
}

/** Only what a change is made of, whatever else the command carries. */
const draftOf = ({ type, actions, note }: NewChangeCommand): NewChangeCommand => ({ type, actions, note });

/** The field of a request naming an action, for errors. */
const fieldOf = (action: ChangeAction, i: number) => `actions[${i}].${action.kind.toLowerCase()}`;

/** Throws unless the order can take the draft's actions now: its units can come back, its new items can join. */
function checkDraft(order: Order, draft: NewChangeCommand): void {
  const fields = draft.actions.map((action, i) => ({ ...action, field: fieldOf(action, i) }));
  const returned = fields.filter((action) => action.kind === "RETURN_ITEM" || action.kind === "CLAIM_ITEM");
  if (draft.type === "EXCHANGE")
    order.checkExchangeable(
      returned,
      fields.filter((action) => action.kind === "ADD_ITEM"),
    );
  else order.checkReturnable(returned);
}

export class OrderVersionChangedError extends FailedPreconditionError {
  constructor(orderId: string, expected: bigint, current: number) {
    super("ORDER_VERSION_CHANGED", `the order is at version ${current}, not ${expected}: preview the change again and confirm that`, [
      { type: "ORDER_VERSION", subject: `orders/${orderId}`, description: `is at version ${current}` },
    ]);
  }
}

/** Throws ORDER_VERSION_CHANGED unless the order is at the version the caller saw (unset: no check). */
export function checkOrderVersion(order: Order, expected: bigint | undefined): void {
  const { version } = order.view;
  if (expected !== undefined && BigInt(version) !== expected) throw new OrderVersionChangedError(order.id, expected, version);
}

/** Every change counts, edits too: an order takes at most MAX_CHANGES. */
export function checkChangeRoom(orderId: string, changes: readonly OrderChange[]): void {
  if (changes.length >= MAX_CHANGES) {
    throw new FailedPreconditionError("TOO_MANY_CHANGES", `an order takes at most ${MAX_CHANGES} changes`, [
      { type: "ORDER_CHANGES", subject: `orders/${orderId}`, description: `${changes.length} changes` },
    ]);
  }
}

/**
 * An item edit as an EDIT change, CONFIRMED as it is made: the item's units before and after,
 * and what the edit cost (the order's total and tax after less before; negative when it lowered
 * them). An edit that changed nothing records nothing.
 */
export async function recordEdit(before: OrderView, after: OrderView, itemId: string, context: MutationContext): Promise<void> {
  const was = before.items.find((item) => item.id === itemId);
  const now = after.items.find((item) => item.id === itemId);
  const item = (now ?? was)!;
  const previousQuantity = was?.quantity ?? 0;
  const quantity = now?.quantity ?? 0;
  if (previousQuantity === quantity) return;
  const changes = await context.changes();
  checkChangeRoom(after.id, changes);
  const { productId, variantId } = item;
  const line: ChangeLine = {
    action: 0,
    itemId,
    quantity: quantity - previousQuantity,
    amountMinor: String(after.totalMinor - before.totalMinor),
    taxMinor: String(after.taxMinor - before.taxMinor),
  };
  const action = { kind: "EDIT_ITEM" as const, itemId, productId, variantId, previousQuantity, quantity };
  const change = { id: newId(), orderId: after.id, orderVersion: before.version, action, sellerIds: [item.sellerId] };
  changes.push(OrderChange.edited(change, [line], context.by));
}

/**
 * A new change: the order must be able to take its actions now, have no other open change, and,
 * for a customer's return, be within the return window of the units' shipment.
 */
export async function createChange(
  order: Order,
  command: NewChangeCommand,
  actor: ChangeActor,
  context: MutationContext,
): Promise<OrderChange> {
  const changes = await context.changes();
  checkChangeRoom(order.id, changes);
  const open = changes.find((change) => change.isOpen);
  if (open) {
    throw new FailedPreconditionError(
      "CHANGE_ALREADY_OPEN",
      `the order has an open change (${open.id}); confirm, decline or cancel it first`,
      [{ type: "ORDER_CHANGE", subject: `changes/${open.id}`, description: `is ${open.view.status}` }],
    );
  }
  checkDraft(order, command);
  if (actor.customer)
    checkReturnWindow(order.view, takenBack(command.actions), await context.fulfilment(), context.by.at, context.deps.returns.windowDays);
  const { view } = order;
  const actions = withReplacementIds(await priceAdded(command.actions, view.currency, context.deps.catalog, context.signal));
  const sellerOf = (action: ChangeAction) =>
    action.kind === "ADD_ITEM" ? action.sellerId : view.items.find((item) => item.id === action.itemId)!.sellerId;
  const sellerIds = [...new Set(actions.map(sellerOf))];
  const change = OrderChange.create(
    { id: newId(), orderId: order.id, orderVersion: view.version, ...draftOf(command), actions, byCustomer: actor.customer, sellerIds },
    context.by,
  );
  changes.push(change);
  return change;
}

/** A claim's replacements get their order item ids when the claim is made, so its events and preview name them. */
export function withReplacementIds(actions: readonly ChangeAction[]): ChangeAction[] {
  return actions.map((action) => (action.kind === "CLAIM_ITEM" && action.replace ? { ...action, replacementItemId: newId() } : action));
}

type ClaimAction = Extract<ChangeAction, { kind: "CLAIM_ITEM" }>;
const replaced = (actions: readonly ChangeAction[]) =>
  actions.filter((action): action is ClaimAction & { replacementItemId: string } => action.kind === "CLAIM_ITEM" && !!action.replace);
const notReplaced = (actions: readonly ChangeAction[]) => actions.filter((action) => !(action.kind === "CLAIM_ITEM" && action.replace));

/** A claim's replacements as lines: units sent again, at no cost. */
function replacementLines(change: OrderChange): ChangeLine[] {
  const { actions } = change.view;
  return replaced(actions).map((action) => ({
    action: actions.indexOf(action),
    itemId: action.replacementItemId,
    quantity: action.quantity,
    amountMinor: "0",
    taxMinor: "0",
  }));
}

/** The change of this order with this id, if the actor may act on it: another seller's is NOT_FOUND, one with other sellers' items too is PERMISSION_DENIED. */
export async function changeOf(context: MutationContext, changeId: string, actor: ChangeActor): Promise<OrderChange> {
  const change = (await context.changes()).find((candidate) => candidate.id === changeId);
  if (!change) throw new NotFoundError("order change", changeId);
  const { sellerIds } = change.view;
  if (actor.sellerId !== undefined) {
    if (!sellerIds.includes(actor.sellerId)) throw new NotFoundError("order change", changeId);
    if (sellerIds.some((seller) => seller !== actor.sellerId)) {
      throw new PermissionDeniedError("the change holds other sellers' items; staff confirm it");
    }
  }
  return change;
}

const refundKey = (orderId: string, changeId: string) => `refund:${orderId}:${changeId}`;

/** What a refund plan gave back per action, negative: money to the customer. */
function linesOf(
  change: OrderChange,
  plan: { lines: readonly { itemId: string; quantity: number; amountMinor: bigint; taxMinor: bigint }[] },
): ChangeLine[] {
  const { actions } = change.view;
  return plan.lines.map((line) => ({
    action: actions.findIndex((action) => action.itemId === line.itemId),
    itemId: line.itemId,
    quantity: line.quantity,
    amountMinor: String(-line.amountMinor),
    taxMinor: String(-line.taxMinor),
  }));
}

/**
 * Applies an open change at the order version the confirmer saw. A return's units are no longer
 * the customer's (refunded now when RETURN_REFUND_ON=request, else when they arrive); a claim's
 * are refunded now. The refund's key is the change's, so a retry after a crash refunds once.
 */
export async function confirmChange(
  order: Order,
  command: { changeId: string; expectedVersion: bigint },
  actor: ChangeActor,
  context: MutationContext,
): Promise<OrderChange> {
  const change = await changeOf(context, command.changeId, actor);
  checkOrderVersion(order, command.expectedVersion);
  const { type, actions, note } = change.view;
  if (type === "EXCHANGE") {
    change.confirm(await confirmExchange(order, change, context), context.by);
    return change;
  }
  order.takeBack(actions);
  let lines: ChangeLine[] = [];
  const refunded = notReplaced(actions);
  if ((type === "CLAIM" || context.deps.returns.refundOn === "request") && refunded.length) {
    const cause = type === "CLAIM" ? "CLAIM" : "RETURN";
    const refund = order.refundUnits(
      refunded,
      { cause, reason: note || type.toLowerCase(), idempotencyKey: refundKey(order.id, change.id) },
      context.by,
    );
    await context.run(refund.effects);
    lines = linesOf(change, refund.plan);
  }
  const replacements = replaced(actions);
  if (replacements.length) {
    order.replace(replacements);
    await sendOut(
      order,
      replacements.map((action) => action.replacementItemId),
      context,
    );
  }
  change.confirm([...lines, ...replacementLines(change)], context.by);
  return change;
}

/**
 * An exchange applied: the returned units are credited (no money moves for them), the new items
 * join the order, are held in stock and planned for fulfilment. A difference due waits for
 * PayOrder (the new items' fulfilment orders are held AWAITING_PAYMENT until then); one owed goes
 * back once, now with RETURN_REFUND_ON=request, else when the goods arrive.
 */
async function confirmExchange(order: Order, change: OrderChange, context: MutationContext): Promise<ChangeLine[]> {
  const { actions } = change.view;
  const { currency } = order.view;
  const news = added(actions);
  const applied = order.exchange(
    takenBack(actions),
    news.map((action) => newItemOfAction(action, currency)),
    context.deps.pricing,
  );
  await sendOut(
    order,
    news.map((action) => action.itemId),
    context,
  );
  if (context.deps.returns.refundOn === "request") await context.run(order.settleBalance("an exchange cost less", context.by));
  return exchangeLines(change, applied);
}

/** An exchange's lines: what its returned units were credited (negative) and what its new items cost. */
function exchangeLines(change: OrderChange, applied: ReturnType<Order["exchange"]>): ChangeLine[] {
  const { actions } = change.view;
  const index = (itemId: string) => actions.findIndex((action) => action.itemId === itemId);
  return [
    ...linesOf(change, applied.credit),
    ...applied.added.map((line) => ({
      action: index(line.itemId),
      itemId: line.itemId,
      quantity: line.quantity,
      amountMinor: String(line.amountMinor),
      taxMinor: String(line.taxMinor),
    })),
  ];
}

export async function declineChange(
  order: Order,
  command: { changeId: string; reason: string },
  actor: ChangeActor,
  context: MutationContext,
) {
  const change = await changeOf(context, command.changeId, actor);
  change.decline(command.reason, context.by);
  return change;
}

/** A customer withdraws its own request only. */
export async function cancelChange(
  order: Order,
  command: { changeId: string; reason: string },
  actor: ChangeActor,
  context: MutationContext,
) {
  const change = await changeOf(context, command.changeId, actor);
  if (actor.customer && !change.view.byCustomer) throw new NotFoundError("order change", command.changeId);
  change.cancel(command.reason, context.by);
  return change;
}

/**
 * A confirmed return's goods, as they arrived: good units back on sale at the location (one of
 * their seller's), damaged ones written off; units that never arrived are the customer's again.
 * Refunded now unless RETURN_REFUND_ON=request refunded them at confirmation.
 */
export async function receiveReturn(
  order: Order,
  command: { changeId: string; locationId: string; lines: readonly ReceivedLine[] },
  actor: ChangeActor,
  context: FulfilmentContext,
): Promise<OrderChange> {
  const change = await changeOf(context, command.changeId, actor);
  change.checkReceipt(command.lines);
  const { view } = order;
  const itemOf = (itemId: string) => view.items.find((item) => item.id === itemId)!;
  const good = command.lines.filter((line) => line.good > 0);
  for (const sellerId of new Set(good.map((line) => itemOf(line.itemId).sellerId))) {
    const locations = await context.deps.inventory.locations(sellerId, context.signal);
    if (!locations.some((location) => location.id === command.locationId)) {
      throw new InvalidArgumentError([
        { field: "location_id", description: `is not a location of seller "${sellerId}", whose items came back good` },
      ]);
    }
  }
  if (good.length) {
    const units = good.map((line) => {
      const item = itemOf(line.itemId);
      return { productId: item.productId, variantId: item.variantId, locationId: command.locationId, quantity: line.good };
    });
    context.stock([{ kind: "restock units", units }]);
  }
  const exchange = change.view.type === "EXCHANGE";
  for (const action of takenBack(change.view.actions)) {
    const arrived = command.lines.find((line) => line.itemId === action.itemId);
    const missing = action.quantity - (arrived ? arrived.good + arrived.damaged : 0);
    // An exchange credited its units when confirmed: those that never came are charged again.
    if (missing > 0 && exchange) order.chargeBackUnreceived(action.itemId, missing);
    else if (missing > 0) order.giveBackUnreceived(action.itemId, missing);
  }
  let lines: ChangeLine[] | undefined;
  if (exchange) {
    if (context.deps.returns.refundOn === "receipt") await context.run(order.settleBalance("an exchange cost less", context.by));
  } else if (context.deps.returns.refundOn === "receipt") {
    const received = command.lines
      .filter((line) => line.good + line.damaged > 0)
      .map((line) => ({ itemId: line.itemId, quantity: line.good + line.damaged }));
    const reason = change.view.note || "return received";
    const refunded = order.refundUnits(received, { cause: "RETURN", reason, idempotencyKey: refundKey(order.id, change.id) }, context.by);
    await context.run(refunded.effects);
    lines = linesOf(change, refunded.plan);
  }
  change.receive(command.lines, command.locationId, lines, context.by);
  return change;
}

/** The order as if the change were applied, and what it refunds: the same steps as confirming it, on a copy, stored nowhere. */
export interface ChangePreview {
  readonly order: OrderView;
  readonly lines: ChangeLine[];
  readonly refundMinor: bigint;
  readonly costMinor: bigint;
}

/**
 * `draft`'s new items must be priced (priceAdded). An exchange's refund is what its returned
 * units are credited, its cost what its new items cost: the difference is what is paid or given back.
 */
export function previewChange(view: OrderView, draft: NewChangeCommand, by: AuditStamp, pricing: PricingPolicy): ChangePreview {
  // Made only to check its actions the way a saved one's are.
  const change = OrderChange.create(
    { id: "preview", orderId: view.id, orderVersion: view.version, ...draftOf(draft), byCustomer: false, sellerIds: [] },
    by,
  );
  const copy = Order.restore(view);
  checkDraft(copy, draft);
  if (draft.type === "EXCHANGE") {
    const applied = copy.exchange(
      takenBack(draft.actions),
      added(draft.actions).map((action) => newItemOfAction(action, view.currency)),
      pricing,
    );
    const costMinor = applied.added.reduce((sum, line) => sum + line.amountMinor, 0n);
    return { order: copy.view, lines: exchangeLines(change, applied), refundMinor: applied.credit.creditMinor, costMinor };
  }
  copy.takeBack(draft.actions);
  const cause = draft.type === "CLAIM" ? "CLAIM" : "RETURN";
  const refunded = notReplaced(draft.actions);
  const plan = refunded.length ? copy.refundUnits(refunded, { cause, reason: "preview", idempotencyKey: "preview" }, by).plan : undefined;
  copy.replace(replaced(draft.actions));
  const lines = [...(plan ? linesOf(change, plan) : []), ...replacementLines(change)];
  return { order: copy.view, lines, refundMinor: plan?.amountMinor ?? 0n, costMinor: 0n };
}

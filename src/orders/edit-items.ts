import type { MutationContext, MutationTarget } from "./mutate-order.js";
import type { Effect, Order } from "./domain/order.js";
import { checkReplannable, replanFulfilment } from "../fulfilment/replan-fulfilment.js";
import { newItemOf, priceItems, type ItemRequest } from "./price-items.js";
import { recordEdit } from "../changes/change-use-cases.js";

export interface AddItemCommand extends MutationTarget {
  readonly requestId: string;
  readonly item: ItemRequest;
}

/** A new line is priced from the catalog now; existing lines keep the price they were placed at. */
export async function addItem(order: Order, command: AddItemCommand, context: MutationContext): Promise<void> {
  order.checkCanAddItem(command.item);
  const [priced] = await priceItems([command.item], order.view.currency, context.deps.catalog, context.signal, () => "item");
  const item = newItemOf(priced!);
  await editItem(order, item.id, () => order.addItem(item, context.deps.pricing), context);
}

/** One item edited (added, its quantity changed, removed), applied, and recorded as an EDIT change. */
export async function editItem(order: Order, itemId: string, edit: () => Effect[], context: MutationContext): Promise<void> {
  const before = order.view;
  await applyEdit(order, edit(), context);
  await recordEdit(before, order.view, itemId, context);
}

/**
 * An edit's stock: refused once a parcel of the order exists; then the reservation is adjusted,
 * and the fulfilment orders are planned again from where Inventory holds it now. Its money: a
 * paid order now costing more waits AWAITING_PAYMENT for the difference (PayOrder); one costing
 * less than was captured gets the difference back at once (an authorization still open is simply
 * captured for less).
 */
async function applyEdit(order: Order, effects: Effect[], context: MutationContext): Promise<void> {
  const fulfilment = await context.fulfilment();
  checkReplannable(fulfilment);
  const { allocations } = await context.run(effects);
  if (allocations) replanFulfilment(fulfilment, order.view, allocations, context.by);
  await context.run(order.settleBalance("the order costs less after an edit", context.by));
}

import type { Allocation, ProductCatalog, StockLine } from "../catalog/catalog-ports.js";
import { lineKey } from "../catalog/sellable.js";
import type { FulfilmentOrder } from "../fulfilment/domain/fulfilment-order.js";
import { planFulfilment } from "../fulfilment/plan-fulfilment.js";
import { money } from "../money/money.js";
import type { NewItem, Order } from "../orders/domain/order.js";
import type { MutationContext } from "../orders/mutate-order.js";
import { newItemOf, priceItems } from "../orders/price-items.js";
import type { AddItemAction, ChangeAction } from "./domain/change-data.js";

/*
 * What an exchange needs beyond a return: its new items priced when it is made, and, once
 * confirmed, held in stock and planned for fulfilment like a placed order's lines (a claim's
 * replacements go out the same way).
 */

/**
 * The change's new items priced from the catalog now (each keeps that price): unknown, inactive
 * or ill-chosen products are refused as at placement, naming the action. Other actions as given.
 */
export async function priceAdded(
  actions: readonly ChangeAction[],
  currency: string,
  catalog: ProductCatalog,
  signal: AbortSignal,
): Promise<ChangeAction[]> {
  const adds = actions.flatMap((action, i) => (action.kind === "ADD_ITEM" ? [{ action, i }] : []));
  if (!adds.length) return [...actions];
  const priced = await priceItems(
    adds.map(({ action }) => action),
    currency,
    catalog,
    signal,
    (n) => `actions[${adds[n]!.i}].add_item`,
  );
  const byIndex = new Map(adds.map(({ i }, n) => [i, newItemOf(priced[n]!)]));
  return actions.map((action, i) => {
    const item = byIndex.get(i);
    return item ? addActionOf(item) : action;
  });
}

function addActionOf(item: NewItem): AddItemAction {
  const { id, productId, variantId, quantity, sku, name, imageUrl, sellerId, variantAttributes } = item;
  const unitPriceMinor = String(item.unitPrice.amountMinor);
  return { kind: "ADD_ITEM", itemId: id, productId, variantId, quantity, unitPriceMinor, sku, name, imageUrl, sellerId, variantAttributes };
}

/** The order line an exchange's priced action becomes. */
export function newItemOfAction(action: AddItemAction, currency: string): NewItem {
  const { itemId, unitPriceMinor, kind: _kind, ...rest } = action;
  return { ...rest, id: itemId, unitPrice: money(currency, BigInt(unitPriceMinor)) };
}

/** Units the order's live fulfilment orders have not shipped yet: what its reservation still holds, by line. */
function heldLines(fulfilment: readonly FulfilmentOrder[]): StockLine[] {
  const held = new Map<string, StockLine>();
  for (const order of fulfilment.filter((candidate) => candidate.status !== "CANCELLED")) {
    for (const line of order.view.lines.filter((candidate) => candidate.remaining > 0)) {
      const key = lineKey(line);
      const quantity = (held.get(key)?.quantity ?? 0) + line.remaining;
      held.set(key, { productId: line.productId, variantId: line.variantId, quantity });
    }
  }
  return [...held.values()];
}

/** Where the new units are held: what Inventory holds now, less what the live fulfilment orders hold at each location. */
function freshAllocations(allocations: readonly Allocation[], fulfilment: readonly FulfilmentOrder[]): Allocation[] {
  const taken = new Map<string, number>();
  for (const order of fulfilment.filter((candidate) => candidate.status !== "CANCELLED")) {
    for (const line of order.view.lines) {
      const key = `${lineKey(line)}@${order.view.locationId}`;
      taken.set(key, (taken.get(key) ?? 0) + line.remaining);
    }
  }
  return allocations.flatMap((allocation) => {
    const key = `${lineKey(allocation)}@${allocation.locationId}`;
    const used = Math.min(taken.get(key) ?? 0, allocation.quantity);
    taken.set(key, (taken.get(key) ?? 0) - used);
    return allocation.quantity > used ? [{ ...allocation, quantity: allocation.quantity - used }] : [];
  });
}

/**
 * The new items of a confirmed exchange (or a claim's replacements), on their way: the order's reservation grows by their
 * units (Inventory holds them, all or nothing, undone if the change does not commit), and they get
 * fulfilment orders of their own, held AWAITING_PAYMENT while a difference is due.
 */
export async function sendOut(order: Order, itemIds: readonly string[], context: MutationContext): Promise<void> {
  const fulfilment = await context.fulfilment();
  const previous = heldLines(fulfilment);
  const { view } = order;
  const items = view.items.filter((item) => itemIds.includes(item.id));
  // A claim's replacement may be of a line still partly held: the held units and the new ones add up.
  const lines = previous.map((line) => ({ ...line }));
  for (const item of items) {
    const held = lines.find((line) => lineKey(line) === lineKey(item));
    if (held) held.quantity += item.quantity;
    else lines.push({ productId: item.productId, variantId: item.variantId, quantity: item.quantity });
  }
  const { allocations } = await context.run([{ kind: "adjust stock", reservationId: view.reservationId, lines, previous }]);
  const fresh = freshAllocations(allocations ?? [], fulfilment);
  fulfilment.push(...planFulfilment({ ...view, items }, fresh, context.by));
}

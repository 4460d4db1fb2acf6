import type { MutationContext, MutationTarget } from "./mutate-order.js";
import type { Order } from "./domain/order.js";
import { newItemOf, priceItems, type ItemRequest } from "./price-items.js";

export interface AddItemCommand extends MutationTarget {
  readonly requestId: string;
  readonly item: ItemRequest;
}

/** A new line is priced from the catalog now; existing lines keep the price they were placed at. */
export async function addItem(order: Order, command: AddItemCommand, context: MutationContext): Promise<void> {
  order.checkCanAddItem(command.item);
  const [priced] = await priceItems([command.item], order.view.currency, context.deps.catalog, context.signal, () => "item");
  await context.run(order.addItem(newItemOf(priced!), context.deps.pricing));
}

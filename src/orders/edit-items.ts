import type { AddOrderItemRequest, RemoveOrderItemRequest, UpdateOrderItemQuantityRequest } from "../../gen/shop/order/v1/order_pb.js";
import { REQUEST_ID, UUID, Violations } from "../platform/validation.js";
import { orderIdField } from "./order-id.js";
import type { MutationContext, MutationTarget } from "./order-mutation.js";
import type { Order } from "./order.js";
import { MAX_QUANTITY, parseItem, type ItemRequest } from "./place-order-input.js";
import { newItemOf, priceItems } from "./price-items.js";

interface ItemCommand extends MutationTarget {
  readonly requestId: string;
}
export interface AddItemCommand extends ItemCommand {
  readonly item: ItemRequest;
}
export interface ChangeQuantityCommand extends ItemCommand {
  readonly itemId: string;
  readonly quantity: number;
}
export interface RemoveItemCommand extends ItemCommand {
  readonly itemId: string;
}

function parseTarget(request: { requestId: string; orderId: string; expectedVersion?: bigint }, v: Violations): ItemCommand {
  return {
    requestId: v.text("request_id", request.requestId, REQUEST_ID),
    orderId: orderIdField(v, request.orderId),
    expectedVersion: request.expectedVersion,
  };
}

export function parseAddItem(request: AddOrderItemRequest, currency: string): AddItemCommand {
  const v = new Violations();
  const target = parseTarget(request, v);
  const item = request.item ? parseItem(request.item, "item", currency, v) : v.add("item", "is required");
  v.throwIfAny();
  return { ...target, item: item! };
}

export function parseChangeQuantity(request: UpdateOrderItemQuantityRequest): ChangeQuantityCommand {
  const v = new Violations();
  const command = {
    ...parseTarget(request, v),
    itemId: v.text("item_id", request.itemId, UUID).toLowerCase(),
    quantity: request.quantity,
  };
  v.check(
    command.quantity >= 1 && command.quantity <= MAX_QUANTITY,
    "quantity",
    `must be between 1 and ${MAX_QUANTITY}; use RemoveOrderItem to remove`,
  );
  v.throwIfAny();
  return command;
}

export function parseRemoveItem(request: RemoveOrderItemRequest): RemoveItemCommand {
  const v = new Violations();
  const command = { ...parseTarget(request, v), itemId: v.text("item_id", request.itemId, UUID).toLowerCase() };
  v.throwIfAny();
  return command;
}

/** A new line is priced from the catalog now; existing lines keep the price they were placed at. */
export async function addItem(order: Order, command: AddItemCommand, context: MutationContext): Promise<void> {
  order.checkCanAddItem(command.item);
  const [priced] = await priceItems([command.item], order.view.currency, context.deps.catalog, context.signal, () => "item");
  await context.run(order.addItem(newItemOf(priced!), context.deps.pricing));
}

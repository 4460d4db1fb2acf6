import type { AddOrderItemRequest, RemoveOrderItemRequest, UpdateOrderItemQuantityRequest } from "../../gen/shop/order/v1/order_pb.js";
import { toMoneyProto } from "../money/money-proto.js";
import { computeTotals, storedLine } from "../money/totals.js";
import { newId } from "../platform/clock.js";
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from "../platform/domain-errors.js";
import { REQUEST_ID, UUID, Violations } from "../platform/validation.js";
import { orderIdField } from "./get-order.js";
import { lineItemsOf } from "./order-events.js";
import { requireStatus } from "./order-lifecycle.js";
import type { ChangeOutcome, MutationContext, MutationTarget } from "./order-mutation.js";
import { OrderItem, type Order } from "./order.entity.js";
import { MAX_ITEMS, MAX_QUANTITY, parseItem, type ItemRequest } from "./place-order-input.js";
import { priceItems } from "./price-items.js";

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
  return { requestId: v.text("request_id", request.requestId, REQUEST_ID), orderId: orderIdField(v, request.orderId), expectedVersion: request.expectedVersion };
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
  v.check(command.quantity >= 1 && command.quantity <= MAX_QUANTITY, "quantity", `must be between 1 and ${MAX_QUANTITY}; use RemoveOrderItem to remove`);
  v.throwIfAny();
  return command;
}

export function parseRemoveItem(request: RemoveOrderItemRequest): RemoveItemCommand {
  const v = new Violations();
  const command = { ...parseTarget(request, v), itemId: v.text("item_id", request.itemId, UUID).toLowerCase() };
  v.throwIfAny();
  return command;
}

const EDITABLE = ["PENDING", "CONFIRMED"] as const;

const linesOf = (order: Order) =>
  order.items.getItems().filter((item) => item.status !== "CANCELLED").map((item) => ({ productId: item.productId, quantity: item.quantity }));

function findItem(order: Order, itemId: string): OrderItem {
  const item = order.items.getItems().find((candidate) => candidate.id === itemId);
  if (!item) throw new NotFoundError("order item", itemId);
  return item;
}

/** A new line is priced from the catalog now; existing lines keep the price they were placed at. */
export async function addItem(order: Order, command: AddItemCommand, context: MutationContext): Promise<ChangeOutcome> {
  requireStatus(order, EDITABLE, "edit items");
  const before = linesOf(order);
  if (order.items.getItems().some((item) => item.productId === command.item.productId)) {
    throw new AlreadyExistsError("ITEM_ALREADY_IN_ORDER", `"${command.item.productId}" is already in the order; change its quantity instead`);
  }
  if (order.items.length >= MAX_ITEMS) throw new FailedPreconditionError("TOO_MANY_ITEMS", `an order holds at most ${MAX_ITEMS} items`);
  const [priced] = await priceItems([command.item], order.currency, context.deps.catalog, context.signal);
  const position = Math.max(...order.items.getItems().map((item) => item.position)) + 1;
  order.items.add(
    context.tx.create(OrderItem, {
      id: newId(),
      order,
      position,
      productId: priced!.product.id,
      sku: priced!.product.sku,
      name: priced!.product.name,
      imageUrl: priced!.product.imageUrl,
      quantity: priced!.quantity,
      unitPriceMinor: priced!.unitPrice.amountMinor,
      status: "PENDING",
    }),
  );
  return reprice(order, before, context);
}

export async function changeQuantity(order: Order, command: ChangeQuantityCommand, context: MutationContext): Promise<ChangeOutcome> {
  requireStatus(order, EDITABLE, "edit items");
  const before = linesOf(order);
  const item = findItem(order, command.itemId);
  if (item.quantity === command.quantity) return { events: [] };
  item.quantity = command.quantity;
  return reprice(order, before, context);
}

export async function removeItem(order: Order, command: RemoveItemCommand, context: MutationContext): Promise<ChangeOutcome> {
  requireStatus(order, EDITABLE, "edit items");
  const before = linesOf(order);
  const item = findItem(order, command.itemId);
  if (order.items.length === 1) {
    throw new FailedPreconditionError("LAST_ITEM", "an order needs at least one item; cancel the order instead", [
      { type: "ORDER_ITEMS", subject: `orders/${order.id}`, description: "would be empty" },
    ]);
  }
  order.items.remove(item);
  context.tx.remove(item);
  return reprice(order, before, context);
}

/** New totals, and the reservation follows the lines (undone if the change does not commit). */
async function reprice(order: Order, before: ReturnType<typeof linesOf>, context: MutationContext): Promise<ChangeOutcome> {
  const totals = computeTotals(order.items.getItems().map((item) => storedLine(order.currency, item)), context.deps.pricing);
  order.subtotalMinor = totals.subtotal.amountMinor;
  order.taxMinor = totals.tax.amountMinor;
  order.shippingMinor = totals.shipping.amountMinor;
  order.totalMinor = totals.total.amountMinor;
  // Registered first: a timed-out adjust may still have happened, and setting the old lines again is harmless.
  context.onRollback((signal) => context.deps.inventory.adjust(order.reservationId, before, signal));
  await context.deps.inventory.adjust(order.reservationId, linesOf(order), context.signal);
  return {
    events: [
      {
        case: "orderItemsChanged",
        value: {
          items: lineItemsOf(order),
          subtotal: toMoneyProto(totals.subtotal),
          tax: toMoneyProto(totals.tax),
          shipping: toMoneyProto(totals.shipping),
        },
      },
    ],
  };
}

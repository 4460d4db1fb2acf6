import type { EntityManager } from "@mikro-orm/postgresql";
import type { Logger } from "pino";
import type { SqlStep } from "../db/sql.js";
import { newId } from "../platform/clock.js";
import { throwIfExpired } from "../platform/rpc/rpc-scope.js";
import type { OrderDeps } from "./order-deps.js";
import { insertOrder } from "./store/order-repository.js";
import { Order, type OrderView } from "./domain/order.js";
import { abandonPending, claimPendingStep, holdPending } from "../reservations/pending-reservations.js";
import type { AddressData } from "./domain/order-data.js";
import type { PaymentMethod } from "../payments/payment-method.js";
import type { Allocation } from "../catalog/catalog-ports.js";
import { planFulfilment } from "../fulfilment/plan-fulfilment.js";
import { newItemOf, priceItems, type ItemRequest, type PricedItem } from "./price-items.js";

export interface CustomerData {
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly phone: string;
}

export interface PlaceOrderCommand {
  readonly requestId: string;
  readonly userId: string;
  readonly customer: CustomerData;
  readonly items: readonly ItemRequest[];
  readonly shippingAddress: AddressData;
  readonly payment: PaymentMethod;
  readonly notes: string;
  readonly currency: string;
  /** Holds (a cart's) whose units the order's reservation takes over. */
  readonly fromHolds?: readonly string[];
}

interface Scope {
  readonly em: EntityManager;
  readonly signal: AbortSignal;
  readonly deadline: number;
  readonly log: Logger;
}

/**
 * What goes with the order's rows: `inStatement`, steps of the very statement that writes them
 * (the idempotent response), and `beforeCommit`, statements of their own in the same transaction
 * (a checkout's cart emptied).
 */
export interface WithOrder {
  readonly inStatement?: (order: OrderView) => SqlStep[];
  readonly beforeCommit?: (tx: EntityManager, order: OrderView) => Promise<void>;
}

/**
 * Places an order: price from the catalog, reserve stock (keyed by the order id, recorded as
 * pending first), then in one statement take the pending reservation over and write the order,
 * items, history, the fulfilment orders of where the stock was allocated and the events, with
 * what `also` brings, in one transaction. If anything fails from the reservation on (including a reserve whose
 * outcome is unknown), the reservation is released; if this process dies, the sweeper does it.
 */
export async function placeOrder(command: PlaceOrderCommand, scope: Scope, deps: OrderDeps, also: WithOrder): Promise<OrderView> {
  const items = await priceItems(command.items, command.currency, deps.catalog, scope.signal);
  const orderId = newId();
  const lines = items.map((item) => ({ productId: item.sellable.productId, variantId: item.sellable.variantId, quantity: item.quantity }));
  throwIfExpired(scope.signal);
  const sequence = await holdPending(scope.em, orderId, scope.deadline);
  try {
    const allocations = await deps.inventory.reserve(orderId, lines, scope.signal, { from: command.fromHolds ?? [] });
    throwIfExpired(scope.signal);
    return await persist(orderId, sequence, command, items, allocations, scope.em, deps, also);
  } catch (error) {
    await abandonPending(scope.em, deps.inventory, orderId, scope.log);
    throw error;
  }
}

async function persist(
  orderId: string,
  sequence: string,
  command: PlaceOrderCommand,
  items: PricedItem[],
  allocations: Allocation[],
  em: EntityManager,
  deps: OrderDeps,
  also: WithOrder,
): Promise<OrderView> {
  const now = deps.clock.now();
  const by = { actor: command.userId, at: now };
  const order = Order.place(
    {
      id: orderId,
      orderNumber: formatOrderNumber(now, sequence),
      userId: command.userId,
      customer: command.customer,
      shippingAddress: command.shippingAddress,
      payment: command.payment,
      currency: command.currency,
      notes: command.notes,
      estimatedDeliveryDate: addDays(now, deps.estimatedDeliveryDays),
      items: items.map(newItemOf),
    },
    deps.pricing,
    by,
  );
  const fulfilment = planFulfilment(order.view, allocations, by);
  const view = order.view;
  return em.transactional(async (tx) => {
    await insertOrder(tx, order, fulfilment, deps.topic, [claimPendingStep(orderId), ...(also.inStatement?.(view) ?? [])]);
    await also.beforeCommit?.(tx, view);
    return view;
  });
}

/** "ORD-2026-000123": the year for humans, the sequence for uniqueness. */
export function formatOrderNumber(at: Date, sequence: string | bigint): string {
  return `ORD-${at.getUTCFullYear()}-${String(sequence).padStart(6, "0")}`;
}

function addDays(from: Date, days: number): string {
  return new Date(from.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}

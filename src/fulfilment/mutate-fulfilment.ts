import type { Logger } from "pino";
import type { StockUnits } from "./domain/fulfilment-order.js";
import type { FulfilmentEffect, FulfilmentOrder } from "./domain/fulfilment-order.js";
import { mutateOrder, type MutationContext, type MutationTarget } from "../orders/mutate-order.js";
import type { Order, OrderView } from "../orders/domain/order.js";
import type { OrderDeps } from "../orders/order-deps.js";
import { newId } from "../platform/clock.js";
import type { RpcScope } from "../platform/rpc/rpc-scope.js";
import {
  claimStockChange,
  dropStockChange,
  holdStockChange,
  operationIdOf,
  type StockOperationKind,
} from "../reservations/pending-stock-changes.js";
import type { EntityManager } from "@mikro-orm/postgresql";

/** What a fulfilment change gets: the order's fulfilment orders (push new ones in), and where to send its stock effects. */
export interface FulfilmentContext extends MutationContext {
  readonly orders: FulfilmentOrder[];
  /** Stock the change needs moved, committed or uncommitted at Inventory: done once the change has decided, before it is stored. */
  stock(effects: readonly FulfilmentEffect[]): void;
}

export type FulfilmentMutation = (order: Order, context: FulfilmentContext) => Promise<void> | void;

type Scope = Pick<RpcScope, "em" | "signal" | "log" | "actor" | "deadline">;

/**
 * A change of an order's fulfilment: under the order's lock (mutate-order.ts), so it is one at a
 * time with every other change of the order. Its stock operations are recorded before the
 * transaction (pending-stock-changes.ts), done at Inventory once the change has decided, each
 * undone if the change does not commit, and claimed by the change's own transaction.
 */
export async function mutateFulfilment(
  scope: Scope,
  deps: OrderDeps,
  target: MutationTarget,
  mutation: FulfilmentMutation,
  beforeCommit?: (tx: EntityManager, order: OrderView) => Promise<void>,
): Promise<OrderView> {
  const changeId = newId();
  // The reservation is the order's own id (place-order.ts).
  await holdStockChange(scope.em, changeId, target.orderId, scope.deadline);
  const undoFailed = { value: false };
  try {
    return await mutateOrder(
      scope,
      deps,
      target,
      async (order, context) => {
        const effects: FulfilmentEffect[] = [];
        const orders = await context.fulfilment();
        await mutation(order, { ...context, orders, stock: (more) => void effects.push(...more) });
        await performStock(effects, order.view.reservationId, changeId, context, undoFailed, scope.log);
      },
      async (tx, order) => {
        await claimStockChange(tx, changeId);
        await beforeCommit?.(tx, order);
      },
    );
  } catch (error) {
    await dropStockChange(scope.em, changeId, !undoFailed.value, scope.log);
    throw error;
  }
}

const KIND: Record<FulfilmentEffect["kind"], StockOperationKind> = {
  "commit units": "commit",
  "uncommit units": "uncommit",
  "move units": "move",
  "release units": "release",
  "restock units": "restock",
};

/** One Inventory operation per kind, named by the change; its undo registered before it is sent (a timed-out call may still land). */
async function performStock(
  effects: readonly FulfilmentEffect[],
  reservationId: string,
  changeId: string,
  context: MutationContext,
  undoFailed: { value: boolean },
  log: Logger,
): Promise<void> {
  const { inventory } = context.deps;
  for (const [kind, { units, toLocationId }] of grouped(effects)) {
    const operationId = operationIdOf(changeId, kind);
    context.onRollback((signal) =>
      inventory.undo(reservationId, operationId, signal).catch((error: unknown) => {
        undoFailed.value = true;
        log.warn({ err: error, operationId }, "could not undo a stock operation now; the sweeper will");
      }),
    );
    const operation = { operationId, units };
    if (kind === "commit") await inventory.commitUnits(reservationId, operation, context.signal);
    else if (kind === "uncommit") await inventory.uncommitUnits(reservationId, operation, context.signal);
    else if (kind === "release") await inventory.releaseUnits(reservationId, operation, context.signal);
    else if (kind === "restock") await inventory.restock(reservationId, operation, context.signal);
    else await inventory.move(reservationId, { ...operation, toLocationId: toLocationId! }, context.signal);
  }
}

function grouped(effects: readonly FulfilmentEffect[]): Map<StockOperationKind, { units: StockUnits[]; toLocationId?: string }> {
  const byKind = new Map<StockOperationKind, { units: StockUnits[]; toLocationId?: string }>();
  for (const effect of effects) {
    const kind = KIND[effect.kind];
    const group = byKind.get(kind) ?? { units: [], ...(effect.kind === "move units" ? { toLocationId: effect.toLocationId } : {}) };
    if (effect.kind === "move units" && group.toLocationId !== effect.toLocationId) {
      throw new Error("one change moves units to one location");
    }
    group.units.push(...effect.units);
    byKind.set(kind, group);
  }
  return byKind;
}

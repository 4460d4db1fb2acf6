import type { EntityManager } from "@mikro-orm/postgresql";
import type { Allocation } from "../catalog/catalog-ports.js";
import type { DomainError } from "../platform/errors/domain-errors.js";
import type { RpcScope } from "../platform/rpc/rpc-scope.js";
import { throwIfExpired } from "../platform/rpc/rpc-scope.js";
import type { OrderDeps } from "./order-deps.js";
import { lockOrder, saveOrder, type LockTarget } from "./store/order-repository.js";
import type { AuditStamp } from "./domain/audit-stamp.js";
import type { Effect, Order, OrderView } from "./domain/order.js";
import type { OrderStatus } from "./domain/order-status.js";
import type { FulfilmentOrder } from "../fulfilment/domain/fulfilment-order.js";
import { cancelFulfilment } from "../fulfilment/cancel-fulfilment.js";
import { fulfilmentProgress, latestTracking } from "../fulfilment/fulfilment-progress.js";
import { loadFulfilment, type LoadedFulfilment } from "../fulfilment/store/fulfilment-repository.js";
import type { OrderChange } from "../changes/domain/order-change.js";
import { loadChanges, type LoadedChanges } from "../changes/store/change-repository.js";

/** Undo budget when the caller's own deadline is already spent. */
const COMPENSATION_TIMEOUT_MS = 5_000;

export type MutationTarget = LockTarget;

/** Order statuses after which nothing more ships. */
const ENDS_FULFILMENT: readonly OrderStatus[] = ["CANCELLED", "REFUNDED"];

/** What a change gets besides the locked order. */
export interface MutationContext {
  /** Who changes the order, and when: what its history keeps. */
  readonly by: AuditStamp;
  readonly signal: AbortSignal;
  readonly deps: OrderDeps;
  /** Does what the order asked for outside itself (stock, money), in order; where an adjusted reservation is held now. */
  run(effects: readonly Effect[]): Promise<{ allocations?: Allocation[] }>;
  /** The order's fulfilment orders, read once under the order's lock; stored with the order. */
  fulfilment(): Promise<FulfilmentOrder[]>;
  /** The order's changes (returns, claims), read once under the order's lock; stored with the order. */
  changes(): Promise<OrderChange[]>;
  /** Registers the undo of an outside effect (a capture, a reservation change) for when the transaction does not commit. */
  onRollback(undo: (signal: AbortSignal) => Promise<void>): void;
}

export interface ChangeOutcome {
  /** Committed, and then thrown: the attempt is kept (a declined payment) but the call fails. */
  readonly failAfterCommit?: DomainError;
}

export type OrderMutation = (order: Order, context: MutationContext) => Promise<ChangeOutcome | void> | void;

/**
 * The one way an existing order changes. In one transaction: lock the order row (so changes of
 * one order, and their calls to other services, happen one at a time), check expected_version,
 * let the aggregate change, do the effects it returns, store it with its events, and record the
 * idempotent response. Outside effects are undone if the transaction fails; those that cannot be
 * undone (release, refund) are idempotent, so a retry of the request converges.
 */
export async function mutateOrder(
  scope: Pick<RpcScope, "em" | "signal" | "log" | "actor">,
  deps: OrderDeps,
  target: MutationTarget,
  mutation: OrderMutation,
  beforeCommit?: (tx: EntityManager, order: OrderView) => Promise<void>,
): Promise<OrderView> {
  const undos: ((signal: AbortSignal) => Promise<void>)[] = [];
  const onRollback = (undo: (signal: AbortSignal) => Promise<void>) => void undos.push(undo);
  let failAfterCommit: DomainError | undefined;
  let order: OrderView;
  try {
    order = await scope.em.transactional(async (tx) => {
      const locked = await lockOrder(tx, target);
      const { order: aggregate } = locked;
      const now = deps.clock.now();
      let fulfilment: Promise<LoadedFulfilment> | undefined;
      let changes: Promise<LoadedChanges> | undefined;
      let ended = false;
      /** Once the order is cancelled or refunded, so are its fulfilment orders (cancel-fulfilment.ts). */
      const endFulfilment = async () => {
        if (ended || aggregate.status === locked.stored.status || !ENDS_FULFILMENT.includes(aggregate.status)) return;
        ended = true;
        cancelFulfilment(await context.fulfilment(), aggregate.status, context.by);
      };
      const context: MutationContext = {
        by: { actor: scope.actor, at: now },
        signal: scope.signal,
        deps,
        onRollback,
        fulfilment: async () => (await (fulfilment ??= loadFulfilment(tx, aggregate.id))).orders,
        changes: async () => (await (changes ??= loadChanges(tx, aggregate.id))).changes,
        run: async (effects) => {
          // Before a release or a refund, which cannot be taken back: the fulfilment may refuse the end.
          await endFulfilment();
          let allocations: Allocation[] | undefined;
          for (const effect of effects) allocations = (await perform(effect, aggregate, deps, scope.signal, onRollback)) ?? allocations;
          return allocations ? { allocations } : {};
        },
      };
      const outcome = await mutation(aggregate, context);
      await endFulfilment();
      throwIfExpired(scope.signal);
      const loaded = fulfilment && (await fulfilment);
      if (loaded) {
        aggregate.followFulfilment(fulfilmentProgress(loaded.orders), latestTracking(loaded.orders), context.by);
        await context.run(aggregate.settlePayment(context.by));
      }
      await saveOrder(tx, locked, deps.topic, now, loaded, changes && (await changes));
      failAfterCommit = outcome?.failAfterCommit;
      const view = aggregate.view;
      if (!failAfterCommit) await beforeCommit?.(tx, view);
      return view;
    });
  } catch (error) {
    await compensate(undos, scope.log);
    throw error;
  }
  if (failAfterCommit) throw failAfterCommit;
  return order;
}

async function perform(
  effect: Effect,
  order: Order,
  deps: OrderDeps,
  signal: AbortSignal,
  onRollback: MutationContext["onRollback"],
): Promise<Allocation[] | undefined> {
  switch (effect.kind) {
    case "release stock":
      await deps.inventory.release(effect.reservationId, signal);
      return;
    case "adjust stock":
      // Registered first: a timed-out adjust may still have happened, and setting the old lines again is harmless.
      onRollback(async (undoSignal) => void (await deps.inventory.adjust(effect.reservationId, effect.previous, undoSignal)));
      return deps.inventory.adjust(effect.reservationId, effect.lines, signal);
    case "refund payment": {
      // The key is the ledger's (the order's for a whole-order refund): a retry of the change refunds once.
      const { idempotencyKey, transactionId, amount } = effect;
      const { refundId } = await deps.payments.refund({ idempotencyKey, transactionId, amount }, signal);
      order.refundIssued(effect.entryId, refundId);
      return;
    }
    case "capture payment": {
      // The key is this attempt's, and the capture is given back if the change does not commit: a retry captures anew.
      const { idempotencyKey, authorizationId, amount } = effect;
      const captured: { transactionId?: string } = {};
      onRollback(async (undoSignal) => {
        const { transactionId } = captured;
        if (transactionId) await deps.payments.refund({ idempotencyKey: `undo:${idempotencyKey}`, transactionId, amount }, undoSignal);
      });
      captured.transactionId = (await deps.payments.capture({ idempotencyKey, authorizationId, amount }, signal)).transactionId;
      order.captureTaken(effect.entryId, captured.transactionId);
      return;
    }
    case "void authorization": {
      const { idempotencyKey, authorizationId, amount } = effect;
      await deps.payments.void({ idempotencyKey, authorizationId, amount }, signal);
      return;
    }
  }
}

async function compensate(undos: ((signal: AbortSignal) => Promise<void>)[], log: RpcScope["log"]) {
  for (const undo of undos.reverse()) {
    await undo(AbortSignal.timeout(COMPENSATION_TIMEOUT_MS)).catch((error: unknown) =>
      log.error({ err: error }, "could not undo an outside effect of a failed order change"),
    );
  }
}

import type { EntityManager } from "@mikro-orm/postgresql";
import type { DomainError } from "../platform/errors/domain-errors.js";
import type { RpcScope } from "../platform/rpc/rpc-scope.js";
import { throwIfExpired } from "../platform/rpc/rpc-scope.js";
import type { OrderDeps } from "./order-deps.js";
import { lockOrder, saveOrder, type LockTarget } from "./store/order-repository.js";
import type { AuditStamp } from "./domain/audit-stamp.js";
import type { Effect, Order, OrderView } from "./domain/order.js";

/** Undo budget when the caller's own deadline is already spent. */
const COMPENSATION_TIMEOUT_MS = 5_000;

export type MutationTarget = LockTarget;

/** What a change gets besides the locked order. */
export interface MutationContext {
  /** Who changes the order, and when: what its history keeps. */
  readonly by: AuditStamp;
  readonly signal: AbortSignal;
  readonly deps: OrderDeps;
  /** Does what the order asked for outside itself (stock, money), in order. */
  run(effects: readonly Effect[]): Promise<void>;
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
      const context: MutationContext = {
        by: { actor: scope.actor, at: now },
        signal: scope.signal,
        deps,
        onRollback,
        run: async (effects) => {
          for (const effect of effects) await perform(effect, deps, scope.signal, onRollback);
        },
      };
      const outcome = await mutation(aggregate, context);
      throwIfExpired(scope.signal);
      await saveOrder(tx, locked, deps.topic, now);
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

async function perform(effect: Effect, deps: OrderDeps, signal: AbortSignal, onRollback: MutationContext["onRollback"]): Promise<void> {
  switch (effect.kind) {
    case "release stock":
      return deps.inventory.release(effect.reservationId, signal);
    case "commit stock":
      return deps.inventory.commit(effect.reservationId, signal);
    case "adjust stock":
      // Registered first: a timed-out adjust may still have happened, and setting the old lines again is harmless.
      onRollback((undoSignal) => deps.inventory.adjust(effect.reservationId, effect.previous, undoSignal));
      return deps.inventory.adjust(effect.reservationId, effect.lines, signal);
    case "refund payment":
      // Keyed by the order: whatever path refunds it (cancel or refund, or their retries), the money goes back once.
      await deps.payments.refund(
        { idempotencyKey: `refund:${effect.orderId}`, transactionId: effect.transactionId, amount: effect.amount },
        signal,
      );
      return;
  }
}

async function compensate(undos: ((signal: AbortSignal) => Promise<void>)[], log: RpcScope["log"]) {
  for (const undo of undos.reverse()) {
    await undo(AbortSignal.timeout(COMPENSATION_TIMEOUT_MS)).catch((error: unknown) =>
      log.error({ err: error }, "could not undo an outside effect of a failed order change"),
    );
  }
}

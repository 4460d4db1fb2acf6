import { LockMode, type EntityManager } from "@mikro-orm/postgresql";
import { enqueueEvent } from "../outbox/outbox-writer.js";
import { DomainError, NotFoundError, VersionConflictError } from "../platform/domain-errors.js";
import type { RpcScope } from "../platform/rpc-scope.js";
import { throwIfExpired } from "../platform/rpc-scope.js";
import type { OrderDeps } from "./order-deps.js";
import { orderEvent, type EventPayload } from "./order-events.js";
import { Order } from "./order.entity.js";

/** Undo budget when the caller's own deadline is already spent. */
const COMPENSATION_TIMEOUT_MS = 5_000;

export interface MutationTarget {
  readonly orderId: string;
  readonly expectedVersion?: bigint;
  /** Set for customers: another user's order is NOT_FOUND, exactly like a missing one. */
  readonly ownerId?: string;
}

/** What a change gets besides the locked order. */
export interface MutationContext {
  readonly tx: EntityManager;
  readonly now: Date;
  readonly actor: string;
  readonly signal: AbortSignal;
  readonly deps: OrderDeps;
  /** Registers the undo of an outside effect (a capture, a reservation change) for when the transaction does not commit. */
  onRollback(undo: (signal: AbortSignal) => Promise<void>): void;
}

export interface ChangeOutcome {
  readonly events: EventPayload[];
  /** Committed, and then thrown: the attempt is kept (a declined payment) but the call fails. */
  readonly failAfterCommit?: DomainError;
}

export type OrderChange = (order: Order, context: MutationContext) => Promise<ChangeOutcome>;

/**
 * The one way an existing order changes. In one transaction: lock the order row (so changes of
 * one order, and their calls to other services, happen one at a time), check expected_version,
 * apply the change, bump the version, write the events to the outbox, and record the idempotent
 * response. Outside effects the change made are undone if the transaction fails; those that
 * cannot be undone (release, refund) are idempotent, so a retry of the request converges.
 */
export async function mutateOrder(
  scope: Pick<RpcScope, "em" | "signal" | "log" | "actor">,
  deps: OrderDeps,
  target: MutationTarget,
  change: OrderChange,
  beforeCommit?: (tx: EntityManager, order: Order) => Promise<void>,
): Promise<Order> {
  const undos: ((signal: AbortSignal) => Promise<void>)[] = [];
  let failAfterCommit: DomainError | undefined;
  let order: Order;
  try {
    order = await scope.em.transactional(async (tx) => {
      const locked = await lockOrder(tx, target);
      const now = deps.clock.now();
      const context: MutationContext = { tx, now, actor: scope.actor, signal: scope.signal, deps, onRollback: (undo) => undos.push(undo) };
      const outcome = await change(locked, context);
      throwIfExpired(scope.signal);
      if (outcome.events.length) locked.updatedAt = now;
      await tx.flush();
      for (const payload of outcome.events) enqueueEvent(tx, orderEvent(locked, deps.topic, payload, now));
      failAfterCommit = outcome.failAfterCommit;
      if (!failAfterCommit) await beforeCommit?.(tx, locked);
      return locked;
    });
  } catch (error) {
    await compensate(undos, scope.log);
    throw error;
  }
  if (failAfterCommit) throw failAfterCommit;
  return order;
}

async function lockOrder(tx: EntityManager, target: MutationTarget): Promise<Order> {
  const order = await tx.findOne(
    Order,
    { id: target.orderId, deletedAt: null, ...(target.ownerId ? { userId: target.ownerId } : {}) },
    { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ["items"], strategy: "select-in" },
  );
  if (!order) throw new NotFoundError("order", target.orderId);
  const version = BigInt(order.version);
  if (target.expectedVersion !== undefined && target.expectedVersion !== version) {
    throw new VersionConflictError("order", order.id, target.expectedVersion, version);
  }
  return order;
}

async function compensate(undos: ((signal: AbortSignal) => Promise<void>)[], log: RpcScope["log"]) {
  for (const undo of undos.reverse()) {
    await undo(AbortSignal.timeout(COMPENSATION_TIMEOUT_MS)).catch((error: unknown) =>
      log.error({ err: error }, "could not undo an outside effect of a failed order change"),
    );
  }
}

import { randomBytes } from "node:crypto";
import type { EntityManager } from "@mikro-orm/postgresql";
import { activeTraceparent } from "../platform/observability/tracing.js";
import { rowCodec } from "../db/row-codec.js";
import { OutboxEvent } from "./outbox.entity.js";

export interface EventRecord {
  readonly eventId: string;
  readonly topic: string;
  readonly key: string;
  /** CloudEvents type, e.g. "shop.order.v1.OrderCreated". */
  readonly type: string;
  readonly payload: Uint8Array;
  readonly occurredAt: Date;
}

/** The outbox row of an event, carrying the caller's trace so the Kafka record joins it. */
export function outboxRow(event: EventRecord) {
  return {
    eventId: event.eventId,
    topic: event.topic,
    aggregateId: event.key,
    eventType: event.type,
    payload: Buffer.from(event.payload),
    occurredAt: event.occurredAt,
    nextAttemptAt: event.occurredAt,
    // Every event has a trace, a new unsampled root when the change ran outside one (a sweeper):
    // Debezium sends a missing trace as a header with no value, which the relay could not match.
    traceParent: activeTraceparent() ?? `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-00`,
  };
}

/**
 * The outbox rows of `events` as one `insert into ... values ...`, for the caller to put in its own
 * statement (a data-modifying CTE): the events commit or roll back with the business change.
 */
export function outboxInsert(em: EntityManager, events: readonly EventRecord[]): { sql: string; params: unknown[] } {
  const codec = rowCodec<ReturnType<typeof outboxRow>>(em, OutboxEvent);
  return {
    sql: `insert into ${codec.table} (${codec.columns.join(", ")}) values ${events.map(() => codec.placeholders).join(", ")}`,
    params: events.flatMap((event) => codec.values(outboxRow(event))),
  };
}

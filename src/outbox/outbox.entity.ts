import { defineEntity, p } from "@mikro-orm/core";

/**
 * An event waiting to be published. Written in the same transaction as the change it
 * describes, so an event exists exactly when its change committed.
 */
const OutboxEventSchema = defineEntity({
  name: "OutboxEvent",
  tableName: "outbox_events",
  properties: {
    id: p.bigint().primary().autoincrement(),
    eventId: p.uuid().unique(),
    topic: p.string(),
    /** Kafka key; events with the same key are published in id order. */
    aggregateId: p.string(),
    eventType: p.string(),
    payload: p.blob(),
    occurredAt: p.datetime(),
    publishedAt: p.datetime().nullable(),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime(),
    lastError: p.text().default(""),
    traceParent: p.string().length(64).nullable(),
  },
  indexes: [{ properties: ["publishedAt", "nextAttemptAt"] }],
});
export class OutboxEvent extends OutboxEventSchema.class {}
OutboxEventSchema.setClass(OutboxEvent);

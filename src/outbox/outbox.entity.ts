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
    /** Deliveries the broker refused (publishing counts one more); a failing row waits until nextAttemptAt. */
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime(),
    lastError: p.text().default(""),
    /** Set after OUTBOX_MAX_ATTEMPTS refusals: the row and its aggregate's later rows wait for staff to retry. */
    parkedAt: p.datetime().nullable(),
    traceParent: p.string().length(64).nullable(),
    /** The aggregate's event sequence, from 1; set by a trigger (Migration20261206000000_event_sequences). */
    sequence: p.bigint().nullable(),
    /** CloudEvents specversion, a column so Debezium sends it as text (Migration20261206100000_outbox_publication). */
    specVersion: p.string().length(8).default("1.0"),
  },
  indexes: [
    // The relay reads what is pending; the purge what was published.
    {
      name: "outbox_events_pending",
      expression: `create index "outbox_events_pending" on "outbox_events" ("id") where "published_at" is null`,
    },
    {
      name: "outbox_events_failing",
      expression: `create index "outbox_events_failing" on "outbox_events" ("aggregate_id") where "published_at" is null and "attempts" > 0`,
    },
    {
      name: "outbox_events_published",
      expression: `create index "outbox_events_published" on "outbox_events" ("published_at") where "published_at" is not null`,
    },
  ],
  // The relay and WatchOrder streams wake on commit instead of polling (Migration20261122000400_outbox_notify).
  triggers: [
    {
      name: "outbox_events_sequence",
      timing: "before",
      events: ["insert"],
      forEach: "row",
      expression: `create trigger "outbox_events_sequence" before insert on "outbox_events" for each row execute function "assign_event_sequence"()`,
    },
    {
      name: "outbox_events_notify",
      timing: "after",
      events: ["insert"],
      forEach: "row",
      expression: `create trigger "outbox_events_notify" after insert on "outbox_events" for each row execute function "notify_outbox_event"()`,
    },
  ],
});
export class OutboxEvent extends OutboxEventSchema.class {}
OutboxEventSchema.setClass(OutboxEvent);

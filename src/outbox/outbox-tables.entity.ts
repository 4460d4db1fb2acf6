import { defineEntity, p } from "@mikro-orm/core";

/** The last event sequence an aggregate (an order, a cart) was given, per topic; kept by a trigger on outbox_events. */
const EventSequenceSchema = defineEntity({
  name: "EventSequence",
  tableName: "event_sequences",
  properties: {
    topic: p.string().primary(),
    aggregateId: p.string().primary(),
    lastSequence: p.bigint(),
  },
});
export class EventSequence extends EventSequenceSchema.class {}
EventSequenceSchema.setClass(EventSequence);

/** Debezium's heartbeat writes here (Migration20261206100000_outbox_publication); the service deletes old beats. */
const OutboxHeartbeatSchema = defineEntity({
  name: "OutboxHeartbeat",
  tableName: "outbox_heartbeat",
  properties: {
    id: p.bigint().primary().autoincrement(),
    beatAt: p.datetime(),
  },
});
export class OutboxHeartbeat extends OutboxHeartbeatSchema.class {}
OutboxHeartbeatSchema.setClass(OutboxHeartbeat);

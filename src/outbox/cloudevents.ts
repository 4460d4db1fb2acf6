import { fromBinary, toJsonString } from "@bufbuild/protobuf";
import { OrderEventSchema } from "../../gen/shop/order/events/v1/order_events_pb.js";

export type EventEncoding = "protobuf" | "json";

export interface OutboxRow {
  readonly id: string;
  readonly eventId: string;
  readonly topic: string;
  readonly aggregateId: string;
  readonly eventType: string;
  readonly payload: Buffer;
  readonly occurredAt: Date;
  readonly traceParent: string | null;
}

const contentTypes: Record<EventEncoding, string> = {
  protobuf: `application/protobuf; proto=${OrderEventSchema.typeName}`,
  json: "application/json",
};

/** CloudEvents dataschema: the message every record's value is, by its full protobuf name. */
export const DATA_SCHEMA = `urn:proto:${OrderEventSchema.typeName}`;

/**
 * A Kafka record in CloudEvents binary mode: attributes as ce_ headers, the event as the value,
 * binary protobuf or its canonical proto3 JSON.
 */
export function toKafkaMessage(row: OutboxRow, source: string, encoding: EventEncoding) {
  const value = encoding === "json" ? Buffer.from(toJsonString(OrderEventSchema, fromBinary(OrderEventSchema, row.payload))) : row.payload;
  return {
    key: row.aggregateId,
    value,
    headers: {
      ce_specversion: "1.0",
      ce_id: row.eventId,
      ce_source: source,
      ce_type: row.eventType,
      ce_time: row.occurredAt.toISOString(),
      ce_subject: row.aggregateId,
      ce_dataschema: DATA_SCHEMA,
      "content-type": contentTypes[encoding],
      // CloudEvents distributed-tracing extension, and plain W3C for Kafka instrumentations.
      ...(row.traceParent ? { ce_traceparent: row.traceParent, traceparent: row.traceParent } : {}),
    },
  };
}

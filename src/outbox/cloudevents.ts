import { fromBinary, toJsonString, type DescMessage } from "@bufbuild/protobuf";
import { CartEventSchema } from "../../gen/shop/cart/events/v1/cart_events_pb.js";
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
  /** The aggregate's event sequence; null only on rows written before sequences existed. */
  readonly sequence: string | null;
}

/** CloudEvents dataschema: the message a record's value is, by its full protobuf name. */
export const dataSchemaOf = (schema: DescMessage) => `urn:proto:${schema.typeName}`;
export const DATA_SCHEMA = dataSchemaOf(OrderEventSchema);

/** The envelope message of an event, by its CloudEvents type: cart events ("shop.cart.v1.*") are CartEvents, the rest OrderEvents. */
export function envelopeOf(eventType: string): DescMessage {
  return eventType.startsWith("shop.cart.") ? CartEventSchema : OrderEventSchema;
}

/**
 * RFC 3339 with microseconds, as PostgreSQL keeps the time and Debezium prints it, so both
 * publishers send the same ce_time ("2026-12-05T21:12:03.446000Z"). Times come from JavaScript
 * Dates: the last three digits are always 0.
 */
export const cloudEventTime = (time: Date) => `${time.toISOString().slice(0, -1)}000Z`;

/**
 * A Kafka record in CloudEvents binary mode: attributes as ce_ headers, the event as the value,
 * binary protobuf or its canonical proto3 JSON.
 */
export function toKafkaMessage(row: OutboxRow, source: string, encoding: EventEncoding) {
  const schema = envelopeOf(row.eventType);
  const value = encoding === "json" ? Buffer.from(toJsonString(schema, fromBinary(schema, row.payload))) : row.payload;
  return {
    key: row.aggregateId,
    value,
    headers: {
      ce_specversion: "1.0",
      ce_id: row.eventId,
      ce_source: source,
      ce_type: row.eventType,
      ce_time: cloudEventTime(row.occurredAt),
      ce_subject: row.aggregateId,
      ce_dataschema: dataSchemaOf(schema),
      "content-type": encoding === "json" ? "application/json" : `application/protobuf; proto=${schema.typeName}`,
      // CloudEvents sequence extension: the aggregate's event sequence, contiguous from 1.
      ...(row.sequence ? { ce_sequence: row.sequence, ce_sequencetype: "Integer" } : {}),
      // CloudEvents distributed-tracing extension, and plain W3C for Kafka instrumentations.
      ...(row.traceParent ? { ce_traceparent: row.traceParent, traceparent: row.traceParent } : {}),
    },
  };
}

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
}

/** CloudEvents dataschema: the message a record's value is, by its full protobuf name. */
export const dataSchemaOf = (schema: DescMessage) => `urn:proto:${schema.typeName}`;
export const DATA_SCHEMA = dataSchemaOf(OrderEventSchema);

/** The envelope message of an event, by its CloudEvents type: cart events ("shop.cart.v1.*") are CartEvents, the rest OrderEvents. */
export function envelopeOf(eventType: string): DescMessage {
  return eventType.startsWith("shop.cart.") ? CartEventSchema : OrderEventSchema;
}

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
      ce_time: row.occurredAt.toISOString(),
      ce_subject: row.aggregateId,
      ce_dataschema: dataSchemaOf(schema),
      "content-type": encoding === "json" ? "application/json" : `application/protobuf; proto=${schema.typeName}`,
      // CloudEvents distributed-tracing extension, and plain W3C for Kafka instrumentations.
      ...(row.traceParent ? { ce_traceparent: row.traceParent, traceparent: row.traceParent } : {}),
    },
  };
}

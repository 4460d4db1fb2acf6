/**
 * The event catalog of the orders.v1 topic as an AsyncAPI 3 document, generated from the events
 * contract (proto/shop/order/events/v1): one message per event type, its CloudEvents headers and
 * its payload in the canonical protobuf JSON form (the binary form is the same message).
 *
 *   npm run -s contracts:asyncapi     writes docs/asyncapi.json; a test fails when it is stale
 */
import { writeFileSync } from "node:fs";
import { getOption, ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { event_type, OrderEventSchema } from "../gen/shop/order/events/v1/order_events_pb.js";
import { CartEventSchema } from "../gen/shop/cart/events/v1/cart_events_pb.js";
import { dataSchemaOf } from "../src/outbox/cloudevents.js";

type Schema = Record<string, unknown>;

const ref = (typeName: string) => ({ $ref: `#/components/schemas/${typeName}` });

function scalarSchema(type: ScalarType): Schema {
  switch (type) {
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.BYTES:
      return { type: "string", contentEncoding: "base64" };
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return { type: "number" };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      // Canonical protobuf JSON writes 64-bit integers as strings.
      return { type: "string", pattern: "^-?[0-9]+$" };
    default:
      return { type: "integer" };
  }
}

/** A field's schema in canonical protobuf JSON; message types are collected into `schemas`. */
function fieldSchema(field: DescField, schemas: Record<string, Schema>): Schema {
  if (field.fieldKind === "map") {
    // Maps in these contracts are string to string (variant attributes).
    return { type: "object", additionalProperties: { type: "string" } };
  }
  const single = (): Schema => {
    if (field.fieldKind === "scalar" || (field.fieldKind === "list" && field.listKind === "scalar")) return scalarSchema(field.scalar);
    if (field.enum) return { type: "string", enum: field.enum.values.map((v) => v.name) };
    const message = field.message;
    if (message.typeName === "google.protobuf.Timestamp") return { type: "string", format: "date-time" };
    collect(message, schemas);
    return ref(message.typeName);
  };
  return field.fieldKind === "list" ? { type: "array", items: single() } : single();
}

function collect(desc: DescMessage, schemas: Record<string, Schema>): void {
  if (schemas[desc.typeName]) return;
  schemas[desc.typeName] = {};
  const properties = Object.fromEntries(desc.fields.map((field) => [field.jsonName, fieldSchema(field, schemas)]));
  schemas[desc.typeName] = { type: "object", "x-protobuf-message": desc.typeName, properties };
}

/** One AsyncAPI message per payload of an envelope (OrderEvent, CartEvent), with its CloudEvents headers. */
function messagesOf(envelope: DescMessage, subject: { what: string; format?: string }) {
  return Object.fromEntries(
    envelope.oneofs[0]!.fields.map((field) => {
      const type = getOption(field.message!, event_type);
      const name = type.split(".").at(-1)!;
      const contentType = `application/protobuf; proto=${envelope.typeName}`;
      const id = { type: "string", ...(subject.format ? { format: subject.format } : {}) };
      return [
        name,
        {
          name: type,
          title: name.replace(/([a-z])([A-Z])/g, "$1 $2"),
          summary: `${/^[AEIOU]/.test(envelope.name) ? "An" : "A"} ${envelope.name} whose payload is ${field.message!.typeName} (JSON field "${field.jsonName}").`,
          contentType,
          headers: {
            type: "object",
            required: [
              "ce_specversion",
              "ce_id",
              "ce_type",
              "ce_source",
              "ce_time",
              "ce_subject",
              "ce_dataschema",
              "content-type",
              "ce_sequence",
              "ce_sequencetype",
            ],
            properties: {
              ce_specversion: { const: "1.0" },
              ce_id: { type: "string", format: "uuid", description: "Equals the event's event_id; consumers dedupe on it." },
              ce_type: { const: type },
              ce_source: { type: "string", description: "EVENT_SOURCE of the producing service, /order-service by default." },
              ce_time: { type: "string", format: "date-time", description: "When the change committed." },
              ce_subject: { ...id, description: `The ${subject.what}, as the record key.` },
              ce_dataschema: { const: dataSchemaOf(envelope) },
              "content-type": { enum: [contentType, "application/json"] },
              ce_sequence: {
                type: "string",
                pattern: "^[1-9][0-9]*$",
                description: `CloudEvents sequence extension: the event's place in its ${subject.what}'s stream, 1 for the first, +1 for each after it, no gaps. Equals the payload's sequence.`,
              },
              ce_sequencetype: { const: "Integer" },
              ce_traceparent: { type: "string", description: "W3C trace context of the change (CloudEvents distributed tracing)." },
              traceparent: { type: "string" },
            },
          },
          payload: { allOf: [ref(envelope.typeName), { required: [field.jsonName] }] },
          bindings: { kafka: { key: { ...id, description: `The ${subject.what}.` }, bindingVersion: "0.5.0" } },
        },
      ];
    }),
  );
}

export function asyncApiDocument() {
  const schemas: Record<string, Schema> = {};
  collect(OrderEventSchema, schemas);
  collect(CartEventSchema, schemas);
  const messages = messagesOf(OrderEventSchema, { what: "order id", format: "uuid" });
  const cartMessages = messagesOf(CartEventSchema, { what: "cart id (the user id, or the guest cart id)" });
  return {
    asyncapi: "3.1.0",
    info: {
      title: "Order events",
      version: "1.0.0",
      description: [
        "The lifecycle events of orders, on the Kafka topic orders.v1 (KAFKA_TOPIC), written by the order service through a transactional outbox.",
        "",
        `Value: a ${OrderEventSchema.typeName}, in binary protobuf (the default) or canonical protobuf JSON (EVENT_ENCODING=json), as the content-type header says. The schemas below describe the JSON form; the binary form is the same message, defined in proto/shop/order/events/v1/order_events.proto (package @shop/order-api, entry ./events).`,
        "Key: the order id. One order's events are on one partition, in the order they were committed; order_version rises by one per change.",
        "Delivery: at least once. A record may come again (same ce_id) after a relay crash; consumers dedupe on ce_id.",
        "Sequence: every event carries its place in its order's stream (the payload's sequence, the ce_sequence header): 1 for the order's first event, +1 for each after it, with no gaps, assigned when the change commits. Keep the last sequence applied per order: an event at or below it is a repeat (skip it), the next one is applied, one above the next means events are missing (a gap: read the order with GetOrder, or wait). Several events can share an order_version (OrderCreated and its OrderItemCreated); none share a sequence. SequenceTracker in @shop/order-api does this for one order. Cart events have a sequence per cart.",
        "ce_type values are constants of the contract (the event_type option on each payload message): renaming a message or field never changes them.",
        "Personal data: only OrderCreated carries it (customer_email, shipping_address), for fulfilment and notifications. No event carries payment details.",
        "Retention: the topic's own (a broker setting); the producer keeps published events in its outbox for OUTBOX_RETENTION_MS (7 days).",
        "",
        `Cart events are on a topic of their own, shop.cart.events.v1 (CART_EVENTS_TOPIC): a ${CartEventSchema.typeName} keyed by the cart id (a user id, or a guest cart's id), with the same CloudEvents headers and delivery. CartAbandoned carries the guest's email when the guest gave one; no cart event carries a cart token or an order link.`,
      ].join("\n"),
    },
    defaultContentType: `application/protobuf; proto=${OrderEventSchema.typeName}`,
    servers: { kafka: { host: "localhost:9092", protocol: "kafka", description: "Whatever KAFKA_BROKERS names." } },
    channels: {
      orders: {
        address: "orders.v1",
        description: "Every order event; the record key is the order id.",
        messages: Object.fromEntries(Object.keys(messages).map((name) => [name, { $ref: `#/components/messages/${name}` }])),
        bindings: { kafka: { topic: "orders.v1", bindingVersion: "0.5.0" } },
      },
      carts: {
        address: "shop.cart.events.v1",
        description: "Every cart event; the record key is the cart id.",
        messages: Object.fromEntries(Object.keys(cartMessages).map((name) => [name, { $ref: `#/components/messages/${name}` }])),
        bindings: { kafka: { topic: "shop.cart.events.v1", bindingVersion: "0.5.0" } },
      },
    },
    operations: {
      consumeOrderEvents: {
        action: "receive",
        channel: { $ref: "#/channels/orders" },
        summary: "What a consumer of order events receives.",
        messages: Object.keys(messages).map((name) => ({ $ref: `#/channels/orders/messages/${name}` })),
      },
      consumeCartEvents: {
        action: "receive",
        channel: { $ref: "#/channels/carts" },
        summary: "What a consumer of cart events (marketing, analytics) receives.",
        messages: Object.keys(cartMessages).map((name) => ({ $ref: `#/channels/carts/messages/${name}` })),
      },
    },
    components: { messages: { ...messages, ...cartMessages }, schemas },
  };
}

export const ASYNCAPI_FILE = "docs/asyncapi.json";

if (process.argv[1]?.endsWith("asyncapi.ts")) {
  writeFileSync(ASYNCAPI_FILE, `${JSON.stringify(asyncApiDocument(), null, 2)}\n`);
  console.log(`wrote ${ASYNCAPI_FILE}`);
}

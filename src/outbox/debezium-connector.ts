import { CartEventSchema } from "../../gen/shop/cart/events/v1/cart_events_pb.js";
import { OrderEventSchema } from "../../gen/shop/order/events/v1/order_events_pb.js";
import { loadConfig } from "../config.js";
import { dataSchemaOf } from "./cloudevents.js";

export interface DebeziumOutboxOptions {
  readonly database: {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly password: string;
    readonly name: string;
  };
  readonly ordersTopic: string;
  readonly cartTopic: string;
  /** ce_source, as EVENT_SOURCE gives it to the relay. */
  readonly source: string;
  readonly slotName: string;
  readonly publicationName: string;
  readonly heartbeatMs: number;
  /** Debezium's logical server name: the prefix of its own topics (heartbeats). */
  readonly topicPrefix: string;
}

/** The outbox table and the heartbeat table Debezium reads, both in the publication (Migration20261206100000_outbox_publication). */
export const OUTBOX_TABLE = "public.outbox_events";
export const HEARTBEAT_TABLE = "public.outbox_heartbeat";
export const OUTBOX_PUBLICATION = "order_service_outbox";
const HEARTBEAT_TOPIC_PREFIX = "__debezium-heartbeat";

const escape = (literal: string) => literal.replace(/[.\\+*?^$()[\]{}|-]/g, "\\$&");

/**
 * The configuration of Debezium's PostgreSQL connector with the outbox event router, such that
 * its records equal the relay's (cloudevents.ts): the key is the aggregate id, the value the
 * payload's bytes as written, and the headers the same CloudEvents attributes. Columns become
 * headers through the router (the spec version too: a literal would be parsed into a number); the
 * attributes that are constants of the deployment (source, sequence type) and of the topic (data
 * schema, content type) are inserted by Kafka's own transforms. Debezium's own "id" header is
 * dropped and its context headers turned off, as the relay has neither.
 * Only protobuf encoding: Debezium publishes the bytes it reads.
 */
export function debeziumOutboxConnector(options: DebeziumOutboxOptions): Record<string, string> {
  const { database } = options;
  const perTopic = (name: string, header: string, order: string, cart: string) => ({
    [`transforms.${name}Orders.type`]: "org.apache.kafka.connect.transforms.InsertHeader",
    [`transforms.${name}Orders.header`]: header,
    [`transforms.${name}Orders.value.literal`]: order,
    [`transforms.${name}Orders.predicate`]: "isCartTopic",
    [`transforms.${name}Orders.negate`]: "true",
    [`transforms.${name}Carts.type`]: "org.apache.kafka.connect.transforms.InsertHeader",
    [`transforms.${name}Carts.header`]: header,
    [`transforms.${name}Carts.value.literal`]: cart,
    [`transforms.${name}Carts.predicate`]: "isCartTopic",
  });
  const literal = (name: string, header: string, value: string) => ({
    [`transforms.${name}.type`]: "org.apache.kafka.connect.transforms.InsertHeader",
    [`transforms.${name}.header`]: header,
    [`transforms.${name}.value.literal`]: value,
  });
  return {
    "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
    "tasks.max": "1",
    "database.hostname": database.host,
    "database.port": String(database.port),
    "database.user": database.user,
    "database.password": database.password,
    "database.dbname": database.name,
    "topic.prefix": options.topicPrefix,
    "plugin.name": "pgoutput",
    "slot.name": options.slotName,
    "publication.name": options.publicationName,
    // The publication is the migration's: inserts of the two tables only, so the outbox's deletes
    // (retention) and updates never reach the connector.
    "publication.autocreate.mode": "disabled",
    "table.include.list": `${OUTBOX_TABLE},${HEARTBEAT_TABLE}`,
    // What is in the outbox when the connector first starts was the relay's to publish.
    "snapshot.mode": "no_data",
    // An idle outbox would hold the slot's position while the rest of the database writes WAL:
    // the heartbeat writes a row the publication carries, so the slot keeps advancing.
    "heartbeat.interval.ms": String(options.heartbeatMs),
    "heartbeat.action.query": `insert into ${HEARTBEAT_TABLE} (beat_at) values (now())`,
    "topic.heartbeat.prefix": HEARTBEAT_TOPIC_PREFIX,
    // Debezium waits this long for a batch to fill before it hands records to Connect (500 ms by
    // default): at a shop's rates that wait is most of commit-to-Kafka (bench/publishers.ts).
    "poll.interval.ms": "50",
    "tombstones.on.delete": "false",
    // No __debezium.context.* headers: the relay's records have none.
    "extended.headers.enabled": "false",
    "binary.handling.mode": "bytes",
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
    // Every header as its value's plain text. InsertHeader parses its literal ("1.0" would become
    // the number 1), so the spec version comes from a column.
    "header.converter": "org.apache.kafka.connect.storage.StringConverter",
    // Topics the router writes to are created when missing, as the relay creates its own.
    "topic.creation.default.partitions": "3",
    "topic.creation.default.replication.factor": "-1",
    predicates: "isHeartbeat,isCartTopic",
    // Both kinds of heartbeat: the heartbeat table's inserts, and the record (a struct, which the
    // byte-array converter refuses, failing the task) Debezium itself emits each interval. Dropped,
    // they still commit their position.
    "predicates.isHeartbeat.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
    "predicates.isHeartbeat.pattern": [`${options.topicPrefix}.${HEARTBEAT_TABLE}`, `${HEARTBEAT_TOPIC_PREFIX}.${options.topicPrefix}`]
      .map(escape)
      .join("|"),
    "predicates.isCartTopic.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
    "predicates.isCartTopic.pattern": escape(options.cartTopic),
    transforms: "dropHeartbeats,outbox,dropId,source,sequencetype,dataschemaOrders,dataschemaCarts,contentTypeOrders,contentTypeCarts",
    "transforms.dropHeartbeats.type": "org.apache.kafka.connect.transforms.Filter",
    "transforms.dropHeartbeats.predicate": "isHeartbeat",
    "transforms.outbox.type": "io.debezium.transforms.outbox.EventRouter",
    "transforms.outbox.table.field.event.id": "event_id",
    "transforms.outbox.table.field.event.key": "aggregate_id",
    "transforms.outbox.table.field.event.payload": "payload",
    "transforms.outbox.route.by.field": "topic",
    "transforms.outbox.route.topic.replacement": "${routedByValue}",
    "transforms.outbox.table.expand.json.payload": "false",
    "transforms.outbox.table.fields.additional.placement": [
      "spec_version:header:ce_specversion",
      "event_id:header:ce_id",
      "event_type:header:ce_type",
      "occurred_at:header:ce_time",
      "aggregate_id:header:ce_subject",
      "sequence:header:ce_sequence",
      "trace_parent:header:ce_traceparent",
      "trace_parent:header:traceparent",
    ].join(","),
    "transforms.dropId.type": "org.apache.kafka.connect.transforms.DropHeaders",
    "transforms.dropId.headers": "id",
    ...literal("source", "ce_source", options.source),
    ...literal("sequencetype", "ce_sequencetype", "Integer"),
    ...perTopic("dataschema", "ce_dataschema", dataSchemaOf(OrderEventSchema), dataSchemaOf(CartEventSchema)),
    ...perTopic(
      "contentType",
      "content-type",
      `application/protobuf; proto=${OrderEventSchema.typeName}`,
      `application/protobuf; proto=${CartEventSchema.typeName}`,
    ),
  };
}

/** The connector's options from the service's own settings, so both agree on topics, source and slot. */
export function outboxConnectorOptions(env: Record<string, string | undefined>): DebeziumOutboxOptions {
  const config = loadConfig({ KAFKA_BROKERS: "127.0.0.1:9092", ...env });
  if (!config.database.url) throw new Error("DATABASE_URL is needed: Debezium reads that database's WAL");
  const url = new URL(config.database.url);
  return {
    database: {
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      name: url.pathname.slice(1),
    },
    ordersTopic: config.orderEventsTopic,
    cartTopic: config.cartEventsTopic,
    source: config.outbox.source,
    slotName: config.outbox.slotName,
    publicationName: OUTBOX_PUBLICATION,
    heartbeatMs: Number(env.DEBEZIUM_HEARTBEAT_MS ?? 10_000),
    topicPrefix: env.DEBEZIUM_TOPIC_PREFIX ?? "order-service",
  };
}

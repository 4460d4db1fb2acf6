import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { debeziumOutboxConnector, OUTBOX_PUBLICATION } from "../../src/outbox/debezium-connector.js";

const MANIFEST = "deploy/kubernetes/components/debezium/kafka-connector.yaml";

describe("the Strimzi KafkaConnector of the Debezium component", () => {
  it("is the connector configuration the tests run (src/outbox/debezium-connector.ts), for production's topics and database", () => {
    const connector = parse(readFileSync(MANIFEST, "utf8")) as {
      spec: { class: string; tasksMax: number; config: Record<string, string> };
    };
    const expected = debeziumOutboxConnector({
      database: {
        host: "orders-db.orders.svc",
        port: 5432,
        user: "${secrets:orders/order-service-debezium:username}",
        password: "${secrets:orders/order-service-debezium:password}",
        name: "orders",
      },
      ordersTopic: "orders.v1",
      cartTopic: "shop.cart.events.v1",
      source: "/order-service",
      slotName: "order_service_outbox",
      publicationName: OUTBOX_PUBLICATION,
      heartbeatMs: 10_000,
      topicPrefix: "order-service",
    });
    const { "connector.class": connectorClass, "tasks.max": tasksMax, ...config } = expected;
    expect(connector.spec).toEqual({ class: connectorClass, tasksMax: Number(tasksMax), config });
  });
});

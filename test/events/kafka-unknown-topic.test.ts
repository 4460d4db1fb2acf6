import { randomUUID } from "node:crypto";
import { KafkaJSProtocolError, type Producer } from "kafkajs";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { OutboxRow } from "../../src/outbox/cloudevents.js";
import { KafkaDelivery } from "../../src/outbox/kafka-delivery.js";
import { KafkaConnection } from "../../src/outbox/kafka.js";

/** What a broker that has restarted but not yet loaded the topic answers to a produce (kafkajs's own error). */
const notServedYet = () =>
  new KafkaJSProtocolError(
    Object.assign(new Error("This server does not host this topic-partition"), {
      type: "UNKNOWN_TOPIC_OR_PARTITION",
      code: 3,
      retriable: true,
    }),
  );

const rowsOf = (topic: string, aggregates: number): OutboxRow[] =>
  Array.from({ length: aggregates }, (_, n) => ({
    id: String(n + 1),
    eventId: randomUUID(),
    topic,
    aggregateId: randomUUID(),
    eventType: "shop.order.v1.OrderCreated",
    payload: Buffer.alloc(0),
    occurredAt: new Date(),
    traceParent: null,
    sequence: "1",
  }));

/**
 * "Unknown topic" is two different answers: the topic is gone (its rows are refused), or a broker
 * just back has not loaded it yet (every row waits alike). Taken for the first, a broker restart
 * backed off every row of the batch, one aggregate at a time, for minutes (CI, 2026-12-06).
 */
describe("a broker answering unknown topic", () => {
  const topic = `orders.unknown.${randomUUID().slice(0, 8)}`;
  const kafka = new KafkaConnection(
    { brokers: [inject("kafkaBrokers")], clientId: "unknown-topic", topic, cartTopic: `${topic}.carts` },
    pino({ level: "silent" }),
  );
  /** The real producer, with the sends it was asked for counted and the next `failing` of them answered as a restarting broker would. */
  let sends = 0;
  let failing = 0;
  const producer = {
    send: (record: Parameters<Producer["send"]>[0]) => {
      sends++;
      if (failing > 0) {
        failing--;
        return Promise.reject(notServedYet());
      }
      return kafka.producer.send(record);
    },
  } as Producer;
  const delivery = new KafkaDelivery(producer, kafka.admin, "/test", "json");

  beforeAll(() => kafka.connect());
  afterAll(() => kafka.close());

  it("when the broker lists the topic but does not serve it yet, then no row is refused: the batch fails as a whole and goes later", async () => {
    const rows = rowsOf(topic, 16);
    sends = 0;
    failing = 1;
    await expect(delivery.deliver(rows)).rejects.toThrow(/lists topic .* but does not serve it yet/);
    expect(sends).toBe(1);

    const later = await delivery.deliver(rows);
    expect(later.refused).toEqual([]);
    expect(later.published).toHaveLength(16);
  });

  it("when a topic it sent to is deleted, then every row of the batch is refused at once, with the reason, not aggregate by aggregate", async () => {
    const gone = `orders.deleted.${randomUUID().slice(0, 8)}`;
    await kafka.admin.createTopics({ topics: [{ topic: gone, numPartitions: 3 }], waitForLeaders: true });
    expect((await delivery.deliver(rowsOf(gone, 1))).published).toHaveLength(1);
    await kafka.admin.deleteTopics({ topics: [gone] });

    sends = 0;
    const result = await delivery.deliver(rowsOf(gone, 16));
    expect(result.published).toEqual([]);
    expect(result.refused).toHaveLength(16);
    expect(new Set(result.refused.map((r) => r.reason))).toEqual(new Set([`topic "${gone}" does not exist on the broker`]));
    expect(sends).toBeLessThanOrEqual(1);
  }, 60_000);
});

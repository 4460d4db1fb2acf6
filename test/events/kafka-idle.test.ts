import { createRequire } from "node:module";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { afterAll, describe, expect, inject, it } from "vitest";
import { KafkaConnection } from "../../src/outbox/kafka.js";

const require = createRequire(import.meta.url);
const { prototype: requestQueue } = require("kafkajs/src/network/requestQueue/index.js") as {
  prototype: { checkPendingRequests(): void };
};

describe("the Kafka connection at rest", () => {
  const topic = `orders.idle.${Date.now()}`;
  const kafka = new KafkaConnection(
    { brokers: [inject("kafkaBrokers")], clientId: "idle-check", topic, cartTopic: `${topic}.carts` },
    pino({ level: "silent" }),
  );
  afterAll(() => kafka.close());

  it("when the producer has sent and sits idle, then its connections do not check their queues every millisecond, and it still sends", async () => {
    await kafka.connect();
    await kafka.producer.send({ topic, messages: [{ value: "first" }] });
    await sleep(50);

    const check = requestQueue.checkPendingRequests;
    let checks = 0;
    requestQueue.checkPendingRequests = function (this: unknown) {
      checks++;
      check.call(this);
    };
    try {
      await sleep(500);
    } finally {
      requestQueue.checkPendingRequests = check;
    }
    // kafkajs 2.2.4 as published: 814 checks in this half second (two connections, one each per millisecond).
    expect(checks).toBeLessThan(10);

    const [sent] = await kafka.producer.send({ topic, messages: [{ value: "after the rest" }] });
    expect(sent?.errorCode).toBe(0);
  });
});

import { randomUUID } from "node:crypto";
import { Kafka, logLevel, type Consumer, type KafkaMessage } from "kafkajs";

export interface Received {
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
  readonly partition: number;
  readonly offset: string;
}

const toReceived = (message: KafkaMessage, partition: number): Received => ({
  key: message.key?.toString() ?? "",
  value: message.value ?? Buffer.alloc(0),
  headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)])),
  partition,
  offset: message.offset,
});

/** A real kafkajs consumer (own group, from the beginning) that collects what arrives on a topic. */
export async function startConsumer(brokers: string, topic: string) {
  const kafka = new Kafka({ brokers: brokers.split(","), clientId: "test-consumer", logLevel: logLevel.NOTHING });
  const consumer: Consumer = kafka.consumer({ groupId: `test-${randomUUID()}` });
  const received: Received[] = [];
  // The service creates its topic in the background at start; subscribing earlier fails.
  const admin = kafka.admin();
  await admin.connect();
  for (let i = 0; !(await admin.listTopics()).includes(topic); i++) {
    if (i > 150) throw new Error(`topic ${topic} was never created`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await admin.disconnect();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message, partition }) => void received.push(toReceived(message, partition)) });
  return {
    received,
    /** Resolves once `done(received)` holds; rejects after `timeoutMs`. */
    async until(done: (messages: Received[]) => boolean, timeoutMs = 30_000): Promise<Received[]> {
      const deadline = Date.now() + timeoutMs;
      while (!done(received)) {
        if (Date.now() > deadline) throw new Error(`timed out with ${received.length} messages on ${topic}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return received;
    },
    stop: () => consumer.disconnect(),
  };
}

import type { Admin, Message, Producer } from "kafkajs";
import { toKafkaMessage, type EventEncoding, type OutboxRow } from "./cloudevents.js";

/** What one attempt made of a batch: rows on Kafka, and rows the broker refused, each with why. */
export interface Delivery {
  readonly published: OutboxRow[];
  readonly refused: { readonly row: OutboxRow; readonly reason: string }[];
}

/**
 * Broker answers about a record or its topic rather than about the broker: retrying the same
 * record cannot help until someone changes the topic or its configuration.
 */
const RECORD_ERRORS = new Set([
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "INVALID_RECORD",
  "CORRUPT_MESSAGE",
  "INVALID_TOPIC_EXCEPTION",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "TOPIC_AUTHORIZATION_FAILED",
  "POLICY_VIOLATION",
]);

/** A refusal of these records, as opposed to a broker that cannot be reached (which holds back every row alike). */
export class RecordRefused extends Error {}

function isRecordError(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (e instanceof RecordRefused || RECORD_ERRORS.has((e as { type?: string }).type ?? "")) return true;
  }
  return false;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 1_000);

/**
 * Sends outbox rows to Kafka so that a refused record holds back only its own aggregate's later
 * rows. Rows go per topic, in one request while all goes well; when the broker refuses part of it,
 * the batch is split by aggregate, halving until the refused aggregates are found, and within one
 * of them rows go one by one until the first refusal. An unreachable broker throws instead.
 */
export class KafkaDelivery {
  private readonly knownTopics = new Set<string>();

  constructor(
    private readonly producer: Producer,
    private readonly admin: Admin,
    private readonly source: string,
    private readonly encoding: EventEncoding,
  ) {}

  async deliver(rows: readonly OutboxRow[]): Promise<Delivery> {
    const delivery: Delivery = { published: [], refused: [] };
    const byTopic = new Map<string, OutboxRow[][]>();
    for (const ofAggregate of groupBy(rows, (row) => row.aggregateId).values()) {
      // One topic per aggregate per batch: its rows on the next topic wait for the next batch, so a
      // refusal on one topic can still hold back what follows it on another.
      const topic = ofAggregate[0]!.topic;
      const cut = ofAggregate.findIndex((row) => row.topic !== topic);
      const run = cut < 0 ? ofAggregate : ofAggregate.slice(0, cut);
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), run]);
    }
    for (const [topic, aggregates] of byTopic) {
      if (!(await this.topicExists(topic))) {
        // The producer would wait for the topic to appear; a missing one is a refusal of its rows, at once.
        for (const [first] of aggregates) delivery.refused.push({ row: first!, reason: `topic "${topic}" does not exist on the broker` });
        continue;
      }
      await this.sendIsolating(topic, aggregates, delivery);
    }
    return delivery;
  }

  private async sendIsolating(topic: string, aggregates: OutboxRow[][], delivery: Delivery): Promise<void> {
    try {
      await this.send(topic, aggregates.flat());
      delivery.published.push(...aggregates.flat());
      return;
    } catch (error) {
      if (!isRecordError(error)) throw error;
      if (isUnknownTopic(error)) return this.refuseAllIfTopicGone(topic, aggregates, error, delivery);
      if (aggregates.length === 1) return this.sendOneByOne(topic, aggregates[0]!, delivery);
    }
    const half = Math.ceil(aggregates.length / 2);
    await this.sendIsolating(topic, aggregates.slice(0, half), delivery);
    await this.sendIsolating(topic, aggregates.slice(half), delivery);
  }

  /** One aggregate's rows in order, each alone; the first refused stops its aggregate. */
  private async sendOneByOne(topic: string, rows: readonly OutboxRow[], delivery: Delivery): Promise<void> {
    for (const row of rows) {
      try {
        await this.send(topic, [row]);
        delivery.published.push(row);
      } catch (error) {
        if (!isRecordError(error)) throw error;
        if (isUnknownTopic(error)) return this.refuseAllIfTopicGone(topic, [[row]], error, delivery);
        delivery.refused.push({ row, reason: describe(error) });
        return;
      }
    }
  }

  /**
   * A broker that has just restarted answers "unknown topic" for topics it has not loaded yet; only
   * the broker's own list says whether the topic is gone (refuse every row) or not ready (wait, all alike).
   */
  private async refuseAllIfTopicGone(topic: string, aggregates: readonly OutboxRow[][], error: unknown, delivery: Delivery) {
    this.knownTopics.delete(topic);
    if (await this.topicExists(topic)) {
      throw new Error(`the broker lists topic "${topic}" but does not serve it yet: ${describe(error)}`, { cause: error });
    }
    for (const [first] of aggregates) delivery.refused.push({ row: first!, reason: `topic "${topic}" does not exist on the broker` });
  }

  private async send(topic: string, rows: readonly OutboxRow[]): Promise<void> {
    const messages: Message[] = rows.map((row) => {
      try {
        return toKafkaMessage(row, this.source, this.encoding);
      } catch (error) {
        throw new RecordRefused(`event ${row.eventId} cannot be encoded: ${describe(error)}`);
      }
    });
    await this.producer.send({ topic, acks: -1, messages });
  }

  /** Topics are listed (not asked for one by one, which a broker may answer by creating it) and remembered once seen. */
  private async topicExists(topic: string): Promise<boolean> {
    if (this.knownTopics.has(topic)) return true;
    for (const name of await this.admin.listTopics()) this.knownTopics.add(name);
    return this.knownTopics.has(topic);
  }
}

function isUnknownTopic(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) if ((e as { type?: string }).type === "UNKNOWN_TOPIC_OR_PARTITION") return true;
  return false;
}

/** Groups in first-seen order, each keeping the rows' order. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

import { Kafka, logLevel, Partitioners, type Admin, type LogEntry, type Producer } from "kafkajs";
import type { Logger } from "pino";
import { skipIdleRequestChecks } from "./kafka-idle-check.js";

export interface KafkaOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly topic: string;
  /** Cart events (shop.cart.events.v1) go here. */
  readonly cartTopic: string;
}

const levels: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/**
 * The Kafka side of the outbox: an admin client for topics and health, and an idempotent
 * producer (acks=all). Kafka being down never stops the service; events wait in the outbox.
 */
export class KafkaConnection {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly producer: Producer;
  private ready: Promise<void> | undefined;
  private closed = false;

  constructor(
    readonly options: KafkaOptions,
    private readonly log: Logger,
  ) {
    skipIdleRequestChecks();
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      connectionTimeout: 3_000,
      requestTimeout: 10_000,
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 5_000 },
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ level, log: { message, ...extra } }: LogEntry) =>
          this.log[levels[level] ?? "info"]({ kafka: extra }, message),
    });
    this.admin = this.kafka.admin();
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  /** Connects and creates the topic; resolves once both worked, retrying in the background until then. */
  connect(): Promise<void> {
    this.ready ??= this.connectOnce().catch((error: unknown) => {
      if (this.closed) return;
      this.log.warn({ err: error }, "Kafka not reachable yet; events stay in the outbox");
      this.ready = undefined;
      return new Promise<void>((resolve) => setTimeout(resolve, 5_000).unref()).then(() => this.connect());
    });
    return this.ready;
  }

  private async connectOnce(): Promise<void> {
    await this.admin.connect();
    const created = await this.admin.createTopics({
      topics: [this.options.topic, this.options.cartTopic].map((topic) => ({ topic, numPartitions: 3 })),
      waitForLeaders: true,
    });
    if (created) this.log.info({ topics: [this.options.topic, this.options.cartTopic] }, "Kafka topics created");
    await this.producer.connect();
  }

  async check(signal: AbortSignal): Promise<void> {
    const aborted = new Promise<never>((_, reject) =>
      signal.addEventListener("abort", () => reject(new Error("Kafka health check timed out")), { once: true }),
    );
    await Promise.race([this.admin.describeCluster(), aborted]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }
}

import pg from "pg";
import type { Logger } from "pino";

type Handler = (payload: string) => void;

/**
 * One dedicated PostgreSQL connection that LISTENs on a channel and fans notifications out to
 * subscribers in this process. Reconnects with backoff when the connection drops; `onReconnect`
 * subscribers hear about it, since notifications sent meanwhile are lost and they must re-read.
 */
export class PgListener {
  private client: pg.Client | undefined;
  private readonly handlers = new Set<Handler>();
  private readonly reconnectHandlers = new Set<() => void>();
  private closed = false;
  private retryMs = 100;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on("notification", (message) => {
      for (const handler of this.handlers) handler(message.payload ?? "");
    });
    client.on("error", (error) => this.log.warn({ err: error, channel: this.channel }, "LISTEN connection failed"));
    client.on("end", () => this.scheduleReconnect());
    await client.connect();
    await client.query(`listen ${pg.escapeIdentifier(this.channel)}`);
    this.client = client;
    this.retryMs = 100;
  }

  subscribe(handler: Handler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  onReconnect(handler: () => void): () => void {
    this.reconnectHandlers.add(handler);
    return () => this.reconnectHandlers.delete(handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.client = undefined;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 5_000);
    setTimeout(() => {
      this.start().then(
        () => this.reconnectHandlers.forEach((handler) => handler()),
        () => this.scheduleReconnect(),
      );
    }, delay).unref();
  }
}

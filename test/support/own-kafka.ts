import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A Kafka broker of one test file's own (scripts/kafka.sh), so stopping it does not disturb the
 * other files. Started and stopped without blocking: the service under test runs in this process,
 * and a broker start blocking its event loop for seconds would time its calls out.
 */
export function ownKafka(port: number, dirPrefix: string) {
  const env = {
    ...process.env,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(port + 1),
    KAFKA_DIR: mkdtempSync(join(tmpdir(), dirPrefix)),
  };
  const run = async (command: "start" | "stop") => {
    const script = spawn("bash", ["scripts/kafka.sh", command], { env, stdio: "inherit" });
    const [code] = await once(script, "exit");
    if (code !== 0) throw new Error(`scripts/kafka.sh ${command} exited with ${code}`);
  };
  return {
    brokers: `127.0.0.1:${port}`,
    start: () => run("start"),
    stop: () => run("stop"),
    /** Stops the broker and removes its data. */
    async remove(): Promise<void> {
      await run("stop");
      rmSync(env.KAFKA_DIR, { recursive: true, force: true });
    },
  };
}

/**
 * The events of a placed order of one item, as the event contract lists them: OrderCreated and an
 * OrderItemCreated for its item, and its fulfilment order's, created and (a card order) held with
 * it. A cancel adds the fulfilment order's cancellation ahead of its own OrderStatusChanged, the
 * item's OrderItemStatusChanged, then OrderCancelled.
 */
export const ONE_ITEM_ORDER_CREATED = [
  "shop.order.v1.OrderCreated",
  "shop.order.v1.OrderItemCreated",
  "shop.order.v1.FulfillmentOrderCreated",
  "shop.order.v1.FulfillmentOrderHeld",
];
export const ONE_ITEM_ORDER_CANCELLED = [
  ...ONE_ITEM_ORDER_CREATED,
  "shop.order.v1.FulfillmentOrderCancelled",
  "shop.order.v1.OrderStatusChanged",
  "shop.order.v1.OrderItemStatusChanged",
  "shop.order.v1.OrderCancelled",
];

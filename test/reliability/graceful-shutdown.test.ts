import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { query } from "../support/db.js";
import { createOrderRequest } from "../support/fixtures.js";
import { grpcDetails, grpcReason } from "../support/grpc-details.js";
import { startConsumer } from "../support/kafka-consumer.js";
import { startServiceStack } from "../support/service-process.js";
import { unary } from "../support/test-app.js";

type Call = { started: number; ended: number; outcome: string; orderId?: string };

/** OK, the service's own refusal while it drains, or (once its servers closed) any UNAVAILABLE; the rest is named as it came. */
function outcomeOf(error: grpc.ServiceError): string {
  if (error.code !== grpc.status.UNAVAILABLE) return grpc.status[error.code];
  const reason = grpcReason(error);
  if (reason === "SHUTTING_DOWN")
    return grpcDetails(error, RetryInfoSchema).length === 1 ? "SHUTTING_DOWN" : "SHUTTING_DOWN without RetryInfo";
  return reason ? `UNAVAILABLE ${reason}` : "UNAVAILABLE from the transport";
}

/** When the service said it had drained and was closing its servers (its own log line). */
function drainEndedAt(output: string): number {
  const line = output.split("\n").find((text) => text.includes('"msg":"calls drained; closing the servers"'));
  if (!line) throw new Error(`the service never logged the end of its drain:\n${output.slice(-3_000)}`);
  return (JSON.parse(line) as { time: number }).time;
}

describe("SIGTERM while orders are placed", () => {
  let stack: Awaited<ReturnType<typeof startServiceStack>>;
  beforeAll(async () => {
    stack = await startServiceStack({ SHUTDOWN_GRACE_MS: "10000", LOG_LEVEL: "info" });
    await stack.startService();
  }, 120_000);
  afterAll(async () => stack?.stop());

  it("then every call is answered OK or with the service's own SHUTTING_DOWN until it closes, calls in flight complete, it exits 0, and every order's event is on Kafka", async () => {
    const client = stack.client(OrderService);
    const calls: Call[] = [];
    let running = true;
    const worker = async () => {
      while (running) {
        const started = Date.now();
        const request = createOrderRequest({ items: [{ productId: "prod-cap", quantity: 1 }] });
        const call: Call = await unary<{ order: { id: string } }>(client, "createOrder", request, { deadline: Date.now() + 5_000 }).then(
          (response) => ({ started, ended: Date.now(), outcome: "OK", orderId: response.order.id }),
          (error: grpc.ServiceError) => ({ started, ended: Date.now(), outcome: outcomeOf(error) }),
        );
        calls.push(call);
        if (call.outcome !== "OK") await sleep(20);
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    await sleep(3_000);

    const signalled = Date.now();
    const { code } = await stack.service!.kill("SIGTERM");
    const exitedAt = Date.now();
    running = false;
    await Promise.all(workers);
    const output = stack.service!.output.join("");
    expect(code, output.slice(-3_000)).toBe(0);
    const drainEnded = drainEndedAt(output);

    const count = (list: Call[]) =>
      list.reduce<Record<string, number>>((all, call) => ({ ...all, [call.outcome]: (all[call.outcome] ?? 0) + 1 }), {});
    // Answered while the servers were open: the service's own answer. A call still on its way when they
    // closed (however long a loaded machine kept it there) may meet them closed, and only then.
    const whileServing = calls.filter((call) => call.ended < drainEnded);
    const atClosing = calls.filter((call) => call.started < drainEnded && call.ended >= drainEnded);
    const afterClosing = calls.filter((call) => call.started >= drainEnded);
    const refusals = calls.filter((call) => call.outcome === "SHUTTING_DOWN");
    const firstRefusal = Math.min(...refusals.map((call) => call.ended));
    // Admitted by the service before the signal could reach it: these must complete.
    const inFlight = calls.filter((call) => call.started < signalled - 50 && call.ended > signalled);
    console.info(
      `graceful shutdown: ${calls.length} calls; answered while serving ${JSON.stringify(count(whileServing))}; sent before and answered after the servers closed ${JSON.stringify(count(atClosing))}; ` +
        `sent after ${JSON.stringify(count(afterClosing))}; ` +
        `in flight at SIGTERM ${inFlight.length}; drain ended ${drainEnded - signalled} ms and the process ${exitedAt - signalled} ms after the signal`,
    );
    expect(whileServing.filter((call) => call.outcome !== "OK" && call.outcome !== "SHUTTING_DOWN")).toEqual([]);
    expect(atClosing.filter((call) => !["OK", "SHUTTING_DOWN", "UNAVAILABLE from the transport"].includes(call.outcome))).toEqual([]);
    expect(afterClosing.filter((call) => !call.outcome.startsWith("UNAVAILABLE"))).toEqual([]);
    expect(refusals.length, "no call was refused with SHUTTING_DOWN").toBeGreaterThan(0);
    expect(refusals.filter((call) => call.ended < signalled || call.ended > exitedAt)).toEqual([]);
    expect(calls.filter((call) => call.outcome === "OK" && call.started > firstRefusal)).toEqual([]);
    expect(inFlight.length).toBeGreaterThan(0);
    expect(inFlight.filter((call) => call.outcome !== "OK")).toEqual([]);

    const acknowledged = calls.filter((call) => call.outcome === "OK").map((call) => call.orderId!);
    const orders = await query<{ id: string }>(stack.databaseUrl, `select id from orders`);
    expect(new Set(orders.map((order) => order.id))).toEqual(new Set(acknowledged));
    const [outbox] = await query<{ pending: number }>(
      stack.databaseUrl,
      `select count(*) filter (where published_at is null)::int as pending from outbox_events`,
    );
    expect(outbox!.pending, "events left unpublished when the process exited").toBe(0);
    const consumer = await startConsumer(inject("kafkaBrokers"), stack.topic);
    try {
      const created = await consumer.until(
        (all) =>
          new Set(all.filter((m) => m.headers.ce_type === "shop.order.v1.OrderCreated").map((m) => m.key)).size >= acknowledged.length,
      );
      const onKafka = new Set(created.filter((m) => m.headers.ce_type === "shop.order.v1.OrderCreated").map((m) => m.key));
      expect(acknowledged.filter((id) => !onKafka.has(id))).toEqual([]);
    } finally {
      await consumer.stop();
    }
  }, 120_000);
});

import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startConsumer } from "../support/kafka-consumer.js";
import type { TestApp } from "../support/test-app.js";
import { startAppWithTestCatalog } from "../support/test-catalog-app.js";

const traceIdOf = (traceparent = "") => traceparent.split("-")[1];

describe("W3C trace context from the caller to Product, Inventory and Kafka", () => {
  const topic = `orders.trace.${randomUUID().slice(0, 8)}`;
  let setup: Awaited<ReturnType<typeof startAppWithTestCatalog>>;
  let app: TestApp;
  let products: typeof setup.products;
  beforeAll(async () => {
    setup = await startAppWithTestCatalog({ KAFKA_TOPIC: topic, PRODUCT_CACHE_TTL_MS: "0" });
    ({ app, products } = setup);
  });
  afterAll(() => setup?.stop());

  it("when a call arrives with a traceparent, then the product lookup and the OrderCreated record carry the same trace", async () => {
    const traceId = randomBytes(16).toString("hex");
    const callerSpan = randomBytes(8).toString("hex");
    const consumer = await startConsumer(inject("kafkaBrokers"), topic);
    try {
      const { order } = await app
        .connect(OrderService)
        .createOrder(createOrderRequest({ items: [{ productId: "prod-mug", quantity: 1 }] }), {
          headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
        });
      expect(traceIdOf(products.traceparents.at(-1))).toBe(traceId);
      expect(products.traceparents.at(-1)).not.toContain(callerSpan);
      const [record] = await consumer.until((all) => all.some((m) => m.key === order!.id));
      expect(traceIdOf(record!.headers.traceparent)).toBe(traceId);
      expect(record!.headers.ce_traceparent).toBe(record!.headers.traceparent);
    } finally {
      await consumer.stop();
    }
  });

  it("when a call arrives without one, then a new trace starts and is still passed on", async () => {
    await app.connect(OrderService).createOrder(createOrderRequest({ items: [{ productId: "prod-tee", quantity: 1 }] }));
    expect(products.traceparents.at(-1)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});

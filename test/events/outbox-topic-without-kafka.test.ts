import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { query } from "../support/db.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startAppWithTestCatalog } from "../support/test-catalog-app.js";

describe("an instance without Kafka, its topics configured", () => {
  let env: Awaited<ReturnType<typeof startAppWithTestCatalog>>;
  beforeAll(async () => {
    env = await startAppWithTestCatalog({ KAFKA_BROKERS: "", KAFKA_TOPIC: "orders.configured", CART_EVENTS_TOPIC: "carts.configured" });
  });
  afterAll(() => env?.stop());

  it("when an order is placed, then its events wait in the outbox for the configured topic, not the default one the broker may not have", async () => {
    const { order } = await env.app.connect(OrderService).createOrder(createOrderRequest());
    const rows = await query<{ topic: string }>(env.app.databaseUrl, "select distinct topic from outbox_events where aggregate_id = $1", [
      order!.id,
    ]);
    expect(rows.map((row) => row.topic)).toEqual(["orders.configured"]);
  });
});

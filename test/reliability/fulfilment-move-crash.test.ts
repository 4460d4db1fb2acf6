import { randomUUID } from "node:crypto";
import pg from "pg";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FulfillmentService } from "../../gen/shop/order/v1/fulfillment_pb.js";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { query, setStockAt, stockAt } from "../support/db.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startServiceStack } from "../support/service-process.js";
import { unary } from "../support/test-app.js";

const upi = { method: { case: "upi", value: { vpa: "ann@okbank" } } };

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

/**
 * The service is killed (SIGKILL) after Inventory moved a fulfilment order's units to another
 * location and before the move was stored: the test holds the fulfilment order's row, so the save
 * waits, and kills the process then. The change's record of its stock operations outlives it;
 * once its lease passes, the sweeper of the restarted service undoes the move. The units end where
 * the stored fulfilment order says they are, at one location.
 */
describe("a crash between Inventory's move and the save", () => {
  let stack: Awaited<ReturnType<typeof startServiceStack>>;
  beforeAll(async () => {
    stack = await startServiceStack({ RPC_DEFAULT_TIMEOUT_MS: "3000", RPC_MAX_TIMEOUT_MS: "3000", RESERVATION_SWEEP_MS: "500" });
    await stack.startService();
  }, 120_000);
  afterAll(async () => stack?.stop());

  it("when the service dies after the move, then the sweeper moves the units back and no reservation is left at two locations", async () => {
    await setStockAt(stack.databaseUrl, "prod-mug", { "north-east": 10, "north-west": 10 });
    const orders = stack.client(OrderService);
    const fulfilment = stack.client(FulfillmentService);
    const request = createOrderRequest({ items: [{ productId: "prod-mug", quantity: 2 }], paymentMethod: upi as never });
    const { order } = await unary<{ order: { id: string } }>(orders, "createOrder", request);
    const [fo] = await query<{ id: string }>(stack.databaseUrl, `select id from fulfillment_orders where order_id = $1`, [order.id]);

    const holder = new pg.Client({ connectionString: stack.databaseUrl });
    await holder.connect();
    await holder.query("begin");
    await holder.query("select 1 from fulfillment_orders where id = $1 for update", [fo!.id]);
    const move = unary(fulfilment, "moveFulfillmentOrder", {
      requestId: randomUUID(),
      fulfillmentOrderId: fo!.id,
      locationId: "north-west",
    }).catch((error: unknown) => error);
    await until(async () => (await stockAt(stack.databaseUrl, "prod-mug"))["north-west"]!.reserved === 2, "Inventory moved the units");
    await stack.service!.kill("SIGKILL");
    await holder.query("rollback");
    await holder.end();
    await move;

    await stack.startService();
    await until(async () => (await stockAt(stack.databaseUrl, "prod-mug"))["north-east"]!.reserved === 2, "the sweeper moved them back");
    expect(await stockAt(stack.databaseUrl, "prod-mug")).toEqual({
      "north-east": { available: 8, reserved: 2 },
      "north-west": { available: 10, reserved: 0 },
    });
    const [stored] = await query<{ location_id: string }>(stack.databaseUrl, `select location_id from fulfillment_orders where id = $1`, [
      fo!.id,
    ]);
    expect(stored!.location_id).toBe("north-east");
    const [reservation] = await query<{ allocations: { locationId: string; held: number }[] }>(
      stack.databaseUrl,
      `select allocations from catalog_reservations where id = $1`,
      [order.id],
    );
    expect(reservation!.allocations.filter((row) => row.held > 0).map((row) => [row.locationId, row.held])).toEqual([["north-east", 2]]);
    expect(await query(stack.databaseUrl, `select 1 from pending_stock_changes`)).toEqual([]);
  });
});

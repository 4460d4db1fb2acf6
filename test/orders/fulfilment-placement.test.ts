import { randomUUID } from "node:crypto";
import type { Client } from "@connectrpc/connect";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { query, setStockAt, stockAt } from "../support/db.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startAppWithReferenceCatalogOverGrpc } from "../support/reference-catalog-server.js";

const upi = { method: { case: "upi" as const, value: { vpa: "ann@okbank" } } };

interface Row {
  seller_id: string;
  location_id: string;
  status: string;
  lines: { productId: string; quantity: number; remaining: number }[];
  holds: { reason: string; releasedAt: string | null; releasedBy: string }[];
}

/**
 * Placing an order makes its fulfilment orders: one per (seller, location) of where the reference
 * Inventory, over gRPC, allocated its stock. A card order waits on its payment, released by the capture.
 */
describe("fulfilment orders made when an order is placed", () => {
  let stack: Awaited<ReturnType<typeof startAppWithReferenceCatalogOverGrpc>>;
  let orders: Client<typeof OrderService>;

  beforeAll(async () => {
    stack = await startAppWithReferenceCatalogOverGrpc();
    orders = stack.app.grpc(OrderService);
  });
  afterAll(() => stack?.stop());

  beforeEach(async () => {
    await setStockAt(stack.app.databaseUrl, "prod-mug", { "north-east": 1, "north-west": 5 });
    await setStockAt(stack.app.databaseUrl, "prod-socks", { "south-main": 10 });
  });

  const fulfilmentOf = (orderId: string) =>
    query<Row>(
      stack.app.databaseUrl,
      `select seller_id, location_id, status, lines, holds from fulfillment_orders where order_id = $1 order by seller_id, location_id`,
      [orderId],
    );
  const place = async (overrides = {}) =>
    (
      await orders.createOrder(
        createOrderRequest({
          items: [
            { productId: "prod-mug", quantity: 3 },
            { productId: "prod-socks", quantity: 1 },
          ],
          ...overrides,
        }),
      )
    ).order!;

  it("when two sellers' stock sits at three locations, then one fulfilment order per seller and location holds exactly what was allocated there", async () => {
    const order = await place({ paymentMethod: upi });
    const rows = await fulfilmentOf(order.id);
    expect(
      rows.map((row) => [
        row.seller_id,
        row.location_id,
        row.status,
        row.lines.map((line) => [line.productId, line.quantity, line.remaining]),
      ]),
    ).toEqual([
      ["seller-north", "north-east", "OPEN", [["prod-mug", 1, 1]]],
      ["seller-north", "north-west", "OPEN", [["prod-mug", 2, 2]]],
      ["seller-south", "south-main", "OPEN", [["prod-socks", 1, 1]]],
    ]);
    expect(await stockAt(stack.app.databaseUrl, "prod-mug")).toEqual({
      "north-east": { available: 0, reserved: 1 },
      "north-west": { available: 3, reserved: 2 },
    });
  });

  it("when an order is paid by card, then each fulfilment order is ON_HOLD awaiting payment until the capture releases it, with no staff action", async () => {
    const order = await place();
    expect((await fulfilmentOf(order.id)).map((row) => [row.status, row.holds.map((hold) => hold.reason)])).toEqual([
      ["ON_HOLD", ["AWAITING_PAYMENT"]],
      ["ON_HOLD", ["AWAITING_PAYMENT"]],
      ["ON_HOLD", ["AWAITING_PAYMENT"]],
    ]);
    const paymentMethod = { method: { case: "card" as const, value: { paymentToken: "tok_visa_ok", brand: "VISA", last4: "4242" } } };
    await orders.payOrder({ requestId: randomUUID(), orderId: order.id, paymentMethod });
    const released = await fulfilmentOf(order.id);
    expect(released.map((row) => row.status)).toEqual(["OPEN", "OPEN", "OPEN"]);
    for (const row of released) expect(row.holds[0]!.releasedAt).not.toBeNull();
  });

  it("when the order is cancelled, then every fulfilment order is CANCELLED and its stock is back at its location", async () => {
    const order = await place({ paymentMethod: upi });
    await orders.cancelOrder({ requestId: randomUUID(), orderId: order.id, reason: "changed my mind" });
    expect((await fulfilmentOf(order.id)).map((row) => row.status)).toEqual(["CANCELLED", "CANCELLED", "CANCELLED"]);
    expect(await stockAt(stack.app.databaseUrl, "prod-mug")).toEqual({
      "north-east": { available: 1, reserved: 0 },
      "north-west": { available: 5, reserved: 0 },
    });
  });
});

import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InventoryService } from "../../gen/shop/inventory/v1/inventory_pb.js";
import { setStockAt } from "../support/db.js";
import { FakeClock } from "../support/fake-clock.js";
import { startReferenceInventory } from "../support/reference-catalog-server.js";

/**
 * CheckAvailability of the reference Inventory, which Checkout asks per line: what holds count as
 * available to whom. (Its cost with a large reservations table has no test that fails: synthetic
 * tables of 20k-45k reservations got the index plan from the old query too; the bench's got a
 * parallel scan, 35 ms per line, 2026-12-06.)
 */
describe("the reference Inventory's availability", () => {
  let databaseUrl: string;
  let inventoryServer: Awaited<ReturnType<typeof startReferenceInventory>>;
  let inventory: Client<typeof InventoryService>;
  const clock = new FakeClock();
  const mug = (quantity: number) => ({ productId: "prod-mug", variantId: "", quantity });
  const available = async (reservationId = "") =>
    (await inventory.checkAvailability({ reservationId, lines: [mug(1)] })).lines[0]!.available;

  beforeAll(async () => {
    inventoryServer = await startReferenceInventory({ clock });
    ({ databaseUrl, inventory } = inventoryServer);
  });
  afterAll(() => inventoryServer?.stop());

  it("when one hold stands and another has lapsed, then the lapsed one counts as available to all, and a hold's own units to it alone, once", async () => {
    await setStockAt(databaseUrl, "prod-mug", { "north-east": 10, "north-west": 0 });
    await inventory.reserveStock({ reservationId: "standing", lines: [mug(2)] });
    const expireTime = timestampFromDate(new Date(clock.now().getTime() + 60_000));
    await inventory.reserveStock({ reservationId: "lapsing", lines: [mug(3)], expireTime });
    expect(await available()).toBe(5);

    clock.offsetMs += 120_000;
    expect(await available()).toBe(8);
    expect(await available("standing")).toBe(10);
    expect(await available("lapsing")).toBe(8);
  });
});

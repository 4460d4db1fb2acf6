import { Code, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { InsufficientStockSchema, type InventoryService } from "../../gen/shop/inventory/v1/inventory_pb.js";
import { query, setStockAt, stockAt } from "../support/db.js";
import { failure } from "../support/errors.js";
import { startReferenceInventory } from "../support/reference-catalog-server.js";

/**
 * The reference Inventory's locations over real gRPC: where a reservation is held, and commit,
 * uncommit, release and move by units, each named by an operation id so a retry does nothing
 * twice and an undo reverses exactly it (or, arriving first, stops it).
 */
describe("the reference Inventory keeps stock per location", () => {
  let databaseUrl: string;
  let inventoryServer: Awaited<ReturnType<typeof startReferenceInventory>>;
  let inventory: Client<typeof InventoryService>;
  let n = 0;
  const reservationId = () => `res-${process.pid}-${++n}`;
  const mug = (locationId: string, quantity: number) => ({ productId: "prod-mug", variantId: "", locationId, quantity });

  beforeAll(async () => {
    inventoryServer = await startReferenceInventory();
    ({ databaseUrl, inventory } = inventoryServer);
  });
  afterAll(() => inventoryServer?.stop());

  beforeEach(() => setStockAt(databaseUrl, "prod-mug", { "north-east": 3, "north-west": 2 }));

  it("lists each seller's locations in the order reservations take stock", async () => {
    const { locations } = await inventory.listLocations({ sellerId: "seller-north" });
    expect(locations.map((location) => location.id)).toEqual(["north-east", "north-west"]);
    expect((await inventory.listLocations({ sellerId: "seller-south" })).locations.map((location) => location.id)).toEqual(["south-main"]);
  });

  it("when a line needs more than the first location has, then it is split across locations and each location's stock moves", async () => {
    const id = reservationId();
    const { reservation } = await inventory.reserveStock({ reservationId: id, lines: [{ productId: "prod-mug", quantity: 4 }] });
    expect(reservation?.allocations.map((a) => [a.locationId, a.quantity])).toEqual([
      ["north-east", 3],
      ["north-west", 1],
    ]);
    expect(await stockAt(databaseUrl, "prod-mug")).toEqual({
      "north-east": { available: 0, reserved: 3 },
      "north-west": { available: 1, reserved: 1 },
    });
  });

  it("when a commit by units is retried, then it commits once; undone, the units are held again, once", async () => {
    const id = reservationId();
    await inventory.reserveStock({ reservationId: id, lines: [{ productId: "prod-mug", quantity: 3 }] });
    const commit = { reservationId: id, operationId: "ship-1", allocations: [mug("north-east", 2)] };
    await inventory.commitReservation(commit);
    await inventory.commitReservation(commit);
    expect((await stockAt(databaseUrl, "prod-mug"))["north-east"]).toEqual({ available: 0, reserved: 1 });
    await inventory.undoReservationOperation({ reservationId: id, operationId: "ship-1" });
    await inventory.undoReservationOperation({ reservationId: id, operationId: "ship-1" });
    expect((await stockAt(databaseUrl, "prod-mug"))["north-east"]).toEqual({ available: 0, reserved: 3 });
  });

  it("when the undo arrives before its operation, then the operation does nothing when it comes", async () => {
    const id = reservationId();
    await inventory.reserveStock({ reservationId: id, lines: [{ productId: "prod-mug", quantity: 3 }] });
    await inventory.undoReservationOperation({ reservationId: id, operationId: "late" });
    await inventory.commitReservation({ reservationId: id, operationId: "late", allocations: [mug("north-east", 1)] });
    expect((await stockAt(databaseUrl, "prod-mug"))["north-east"]).toEqual({ available: 0, reserved: 3 });
  });

  it("when units are committed, uncommitted and released by units, then each location's stock follows exactly", async () => {
    const id = reservationId();
    await inventory.reserveStock({ reservationId: id, lines: [{ productId: "prod-mug", quantity: 3 }] });
    await inventory.commitReservation({ reservationId: id, operationId: "c", allocations: [mug("north-east", 2)] });
    await inventory.uncommitReservation({ reservationId: id, operationId: "u", allocations: [mug("north-east", 1)] });
    await inventory.releaseReservation({ reservationId: id, operationId: "r", allocations: [mug("north-east", 1)] });
    // 3 held; 2 shipped; 1 back to held; 1 released: 1 shipped, 1 held, 1 available.
    expect((await stockAt(databaseUrl, "prod-mug"))["north-east"]).toEqual({ available: 1, reserved: 1 });
    const over = await failure(inventory.commitReservation({ reservationId: id, operationId: "c2", allocations: [mug("north-east", 2)] }));
    expect(over.code).toBe(Code.FailedPrecondition);
  });

  it("when held units move to the seller's other location, then both locations' stock follows; undone, they move back", async () => {
    const id = reservationId();
    await inventory.reserveStock({ reservationId: id, lines: [{ productId: "prod-mug", quantity: 2 }] });
    const { reservation } = await inventory.moveReservation({
      reservationId: id,
      operationId: "m",
      allocations: [mug("north-east", 2)],
      toLocationId: "north-west",
    });
    expect(reservation?.allocations.map((a) => [a.locationId, a.quantity])).toEqual([["north-west", 2]]);
    expect(await stockAt(databaseUrl, "prod-mug")).toEqual({
      "north-east": { available: 3, reserved: 0 },
      "north-west": { available: 0, reserved: 2 },
    });
    await inventory.undoReservationOperation({ reservationId: id, operationId: "m" });
    expect(await stockAt(databaseUrl, "prod-mug")).toEqual({
      "north-east": { available: 1, reserved: 2 },
      "north-west": { available: 2, reserved: 0 },
    });
  });

  it("when the target location is short or another seller's, then the move is refused and nothing moves", async () => {
    const id = reservationId();
    await inventory.reserveStock({ reservationId: id, lines: [{ productId: "prod-mug", quantity: 3 }] });
    const short = await failure(
      inventory.moveReservation({ reservationId: id, operationId: "m1", allocations: [mug("north-east", 3)], toLocationId: "north-west" }),
    );
    expect(short.code).toBe(Code.FailedPrecondition);
    expect(short.findDetails(InsufficientStockSchema)[0]?.shortages[0]).toMatchObject({
      productId: "prod-mug",
      requested: 3,
      available: 2,
    });
    const foreign = await failure(
      inventory.moveReservation({ reservationId: id, operationId: "m2", allocations: [mug("north-east", 1)], toLocationId: "south-main" }),
    );
    expect(foreign.code).toBe(Code.FailedPrecondition);
    expect(await stockAt(databaseUrl, "prod-mug")).toEqual({
      "north-east": { available: 0, reserved: 3 },
      "north-west": { available: 2, reserved: 0 },
    });
    const [totals] = await query<{ available: number; reserved: number }>(
      databaseUrl,
      `select available, reserved from catalog_products where id = 'prod-mug'`,
    );
    expect(totals).toEqual({ available: 2, reserved: 3 });
  });

  it("when units are named without an operation id, then the call is refused: it could not be retried or undone safely", async () => {
    const id = reservationId();
    await inventory.reserveStock({ reservationId: id, lines: [{ productId: "prod-mug", quantity: 1 }] });
    const error = await failure(inventory.commitReservation({ reservationId: id, allocations: [mug("north-east", 1)] }));
    expect(error.code).toBe(Code.InvalidArgument);
  });
});

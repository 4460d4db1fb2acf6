import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import type { MikroORM } from "@mikro-orm/postgresql";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InventoryService } from "../../gen/shop/inventory/v1/inventory_pb.js";
import { referenceInventoryService } from "../../src/catalog/reference/reference-inventory.js";
import { migrate, openOrm } from "../../src/db/orm.js";
import { addConnectService } from "../../src/platform/transport/grpc-adapter.js";
import { setStockAt } from "../support/db.js";
import { FakeClock } from "../support/fake-clock.js";
import { freshDatabase } from "../support/test-app.js";

/**
 * CheckAvailability of the reference Inventory, which Checkout asks per line: what holds count as
 * available to whom. (Its cost with a large reservations table has no test that fails: synthetic
 * tables of 20k-45k reservations got the index plan from the old query too; the bench's got a
 * parallel scan, 35 ms per line, 2026-12-06.)
 */
describe("the reference Inventory's availability", () => {
  let databaseUrl: string;
  let orm: MikroORM;
  let server: grpc.Server;
  let inventory: Client<typeof InventoryService>;
  const clock = new FakeClock();
  const mug = (quantity: number) => ({ productId: "prod-mug", variantId: "", quantity });
  const available = async (reservationId = "") =>
    (await inventory.checkAvailability({ reservationId, lines: [mug(1)] })).lines[0]!.available;

  beforeAll(async () => {
    databaseUrl = await freshDatabase();
    orm = await openOrm({ url: databaseUrl, poolMax: 4, log: pino({ level: "silent" }) });
    await migrate(orm, databaseUrl, pino({ level: "silent" }));
    server = new grpc.Server();
    addConnectService(server, InventoryService, referenceInventoryService(orm, clock));
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    inventory = createClient(InventoryService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  });
  afterAll(async () => {
    server?.forceShutdown();
    await orm?.close();
  });

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

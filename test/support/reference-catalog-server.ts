import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { pino } from "pino";
import { InventoryService } from "../../gen/shop/inventory/v1/inventory_pb.js";
import { ProductService } from "../../gen/shop/product/v1/product_pb.js";
import { migrate, openOrm } from "../../src/db/orm.js";
import { referenceInventoryService } from "../../src/catalog/reference/reference-inventory.js";
import { referenceProductService } from "../../src/catalog/reference/reference-products.js";
import { addConnectService } from "../../src/platform/transport/grpc-adapter.js";
import { freshDatabase, startTestApp } from "./test-app.js";
import type { Clock } from "../../src/platform/clock.js";

/**
 * The service with its Product and Inventory reached over real gRPC: the reference catalog
 * (sellers, variants, stock per variant) served by a gRPC server of its own on the app's
 * database, as a separate Product/Inventory deployment would be.
 */
export async function startAppWithReferenceCatalogOverGrpc(env: Record<string, string> = {}, options: { clock?: Clock } = {}) {
  const databaseUrl = await freshDatabase();
  const orm = await openOrm({ url: databaseUrl, poolMax: 4, log: pino({ level: "silent" }) });
  const server = new grpc.Server();
  addConnectService(server, ProductService, referenceProductService(orm));
  addConnectService(server, InventoryService, referenceInventoryService(orm, options.clock));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const url = `http://127.0.0.1:${port}`;
  const app = await startTestApp(
    { PRODUCT_SERVICE_URL: url, INVENTORY_SERVICE_URL: url, PRODUCT_CACHE_TTL_MS: "0", ...env },
    { databaseUrl, clock: options.clock },
  );
  return {
    app,
    async stop() {
      await app.stop();
      server.forceShutdown();
      await orm.close();
    },
  };
}

/** The reference Inventory alone, over real gRPC, on a fresh migrated database of its own. */
export async function startReferenceInventory(options: { clock?: Clock } = {}) {
  const databaseUrl = await freshDatabase();
  const log = pino({ level: "silent" });
  const orm = await openOrm({ url: databaseUrl, poolMax: 4, log });
  await migrate(orm, databaseUrl, log);
  const server = new grpc.Server();
  addConnectService(server, InventoryService, referenceInventoryService(orm, options.clock));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    databaseUrl,
    inventory: createClient(InventoryService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` })),
    async stop() {
      server.forceShutdown();
      await orm.close();
    },
  };
}

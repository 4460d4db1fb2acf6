/**
 * The reference Product and Inventory services on their own, over gRPC: what the order service
 * calls when PRODUCT_SERVICE_URL / INVENTORY_SERVICE_URL point at another process, as they would
 * in production. Used by the benchmark and handy for grpcurl.
 *
 *   DATABASE_URL=postgresql://... CATALOG_GRPC_PORT=50061 node dist/src/catalog/reference/main.js
 */
import { InventoryService } from "../../../gen/shop/inventory/v1/inventory_pb.js";
import { ProductService } from "../../../gen/shop/product/v1/product_pb.js";
import { migrate, openOrm } from "../../db/orm.js";
import { addConnectService } from "../../platform/transport/grpc-adapter.js";
import { bindGrpcServer, createGrpcServer, shutdownGrpcServer } from "../../platform/transport/grpc-server.js";
import { createLogger } from "../../platform/observability/logger.js";
import { referenceInventoryService } from "./reference-inventory.js";
import { referenceProductService } from "./reference-products.js";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is required");
  process.exit(2);
}
const log = createLogger(process.env.LOG_LEVEL ?? "info");
const orm = await openOrm({ url, poolMax: Number(process.env.DB_POOL_MAX ?? 10), log });
await migrate(orm, url, log);

const options = {
  host: process.env.HOST ?? "127.0.0.1",
  port: Number(process.env.CATALOG_GRPC_PORT ?? 50061),
  maxMessageBytes: 4 << 20,
  log,
};
const server = createGrpcServer(options);
addConnectService(server, ProductService, referenceProductService(orm));
addConnectService(server, InventoryService, referenceInventoryService(orm));
const port = await bindGrpcServer(server, options);
log.info({ port }, "reference catalog ready");

process.once("SIGTERM", () => {
  void shutdownGrpcServer(server, 5_000).then(async () => {
    await orm.close();
    process.exit(0);
  });
});

import { createRouterTransport, type Transport } from "@connectrpc/connect";
import type { MikroORM } from "@mikro-orm/postgresql";
import { InventoryService } from "../../gen/shop/inventory/v1/inventory_pb.js";
import { ProductService } from "../../gen/shop/product/v1/product_pb.js";
import type { Config } from "../config.js";
import type { Inventory, ProductCatalog } from "./catalog-ports.js";
import { grpcTransport } from "../platform/dependencies/grpc-client.js";
import { GrpcInventory, GrpcProductCatalog } from "./grpc-catalog.js";
import { CachedProductCatalog } from "./product-cache.js";
import { referenceInventoryService } from "./reference/reference-inventory.js";
import { referenceProductService } from "./reference/reference-products.js";
import type { DependencyMetrics } from "../platform/dependencies/dependency-metrics.js";
import { DependencyGuard } from "../platform/dependencies/resilience.js";
import { systemClock, type Clock } from "../platform/clock.js";

/**
 * The Product and Inventory clients. With a URL they call that service over gRPC; without one
 * they call the built-in reference implementation in process, through the same typed client and
 * the same contract (messages are encoded and decoded as on the wire).
 */
export function createCatalogClients(
  config: Config["dependencies"],
  orm: MikroORM,
  metrics?: DependencyMetrics,
  clock: Clock = systemClock,
): { catalog: ProductCatalog; inventory: Inventory } {
  const products: Transport = config.productServiceUrl
    ? grpcTransport(config.productServiceUrl, config.client)
    : createRouterTransport(({ service }) => service(ProductService, referenceProductService(orm)));
  const inventory: Transport = config.inventoryServiceUrl
    ? grpcTransport(config.inventoryServiceUrl, config.client)
    : createRouterTransport(({ service }) => service(InventoryService, referenceInventoryService(orm, clock)));
  const productClient = new GrpcProductCatalog(
    products,
    config.timeoutMs,
    new DependencyGuard("product service", config.resilience, metrics),
  );
  return {
    catalog: config.productCacheTtlMs > 0 ? new CachedProductCatalog(productClient, config.productCacheTtlMs) : productClient,
    inventory: new GrpcInventory(inventory, config.timeoutMs, new DependencyGuard("inventory service", config.resilience, metrics)),
  };
}

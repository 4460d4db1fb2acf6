import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { InsufficientStockSchema, InventoryService } from "../../gen/shop/inventory/v1/inventory_pb.js";
import { ProductService } from "../../gen/shop/product/v1/product_pb.js";
import { fromMoneyProto } from "../money/money-proto.js";
import type { Inventory, ProductCatalog, ProductInfo, StockLine } from "./catalog-ports.js";
import { InsufficientStockError } from "./catalog-errors.js";
import { DependencyUnavailableError } from "../platform/domain-errors.js";
import { dependencyError } from "./dependency-errors.js";

export interface CallBudget {
  /** Longest a single call may take, even when the caller's deadline is further away. */
  readonly timeoutMs: number;
}

export function grpcTransport(baseUrl: string): Transport {
  return createGrpcTransport({ baseUrl, idleConnectionTimeoutMs: 60_000 });
}

function timeoutFor(budget: CallBudget, signal: AbortSignal) {
  return { timeoutMs: budget.timeoutMs, signal };
}

/** ProductCatalog over the Product service's gRPC contract. */
export class GrpcProductCatalog implements ProductCatalog {
  private readonly client: Client<typeof ProductService>;

  constructor(transport: Transport, private readonly budget: CallBudget) {
    this.client = createClient(ProductService, transport);
  }

  async getProducts(ids: readonly string[], signal: AbortSignal) {
    try {
      const response = await this.client.batchGetProducts({ ids: [...ids] }, timeoutFor(this.budget, signal));
      const found = new Map<string, ProductInfo>();
      for (const p of response.products) {
        if (!p.price) throw new DependencyUnavailableError("product service", `product "${p.id}" came without a price`);
        found.set(p.id, { id: p.id, sku: p.sku, name: p.name, price: fromMoneyProto(p.price), active: p.active, imageUrl: p.imageUrl });
      }
      return { found, missing: response.missingIds };
    } catch (error) {
      throw dependencyError("product service", error, signal);
    }
  }
}

/** Inventory over the Inventory service's gRPC contract. */
export class GrpcInventory implements Inventory {
  private readonly client: Client<typeof InventoryService>;

  constructor(transport: Transport, private readonly budget: CallBudget) {
    this.client = createClient(InventoryService, transport);
  }

  async reserve(reservationId: string, lines: readonly StockLine[], signal: AbortSignal) {
    try {
      await this.client.reserveStock({ reservationId, lines: [...lines] }, timeoutFor(this.budget, signal));
    } catch (error) {
      const shortage = error instanceof ConnectError && error.code === Code.FailedPrecondition
        ? error.findDetails(InsufficientStockSchema)[0]
        : undefined;
      if (shortage) throw new InsufficientStockError(shortage.shortages);
      throw dependencyError("inventory service", error, signal);
    }
  }

  async release(reservationId: string, signal: AbortSignal) {
    try {
      await this.client.releaseReservation({ reservationId }, timeoutFor(this.budget, signal));
    } catch (error) {
      throw dependencyError("inventory service", error, signal);
    }
  }
}

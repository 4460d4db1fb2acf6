import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { InsufficientStockSchema, InventoryService } from "../../gen/shop/inventory/v1/inventory_pb.js";
import { ProductService } from "../../gen/shop/product/v1/product_pb.js";
import { fromMoneyProto } from "../money/money-proto.js";
import { callOptions } from "../platform/dependencies/grpc-client.js";
import { DependencyUnavailableError } from "../platform/errors/domain-errors.js";
import type {
  Allocation,
  Inventory,
  MoveOperation,
  ProductCatalog,
  ProductInfo,
  ReserveOptions,
  StockLine,
  UnitsOperation,
} from "./catalog-ports.js";
import { InsufficientStockError } from "./catalog-errors.js";
import type { DependencyGuard } from "../platform/dependencies/resilience.js";

/** ProductCatalog over the Product service's gRPC contract. */
export class GrpcProductCatalog implements ProductCatalog {
  private readonly client: Client<typeof ProductService>;

  constructor(
    transport: Transport,
    private readonly timeoutMs: number,
    private readonly guard: DependencyGuard,
  ) {
    this.client = createClient(ProductService, transport);
  }

  async getProducts(ids: readonly string[], signal: AbortSignal) {
    const response = await this.guard.safe(
      (attempt) => this.client.batchGetProducts({ ids: [...ids] }, callOptions(this.timeoutMs, attempt)),
      signal,
    );
    const found = new Map<string, ProductInfo>();
    for (const p of response.products) {
      if (!p.price) throw new DependencyUnavailableError("product service", `product "${p.id}" came without a price`);
      const variants = p.variants.map((variant) => {
        if (!variant.price)
          throw new DependencyUnavailableError("product service", `variant "${variant.id}" of "${p.id}" came without a price`);
        return {
          id: variant.id,
          sku: variant.sku,
          attributes: variant.attributes,
          price: fromMoneyProto(variant.price),
          active: variant.active,
        };
      });
      const { id, sku, name, active, imageUrl, sellerId } = p;
      found.set(id, { id, sku, name, price: fromMoneyProto(p.price), active, imageUrl, sellerId, variants });
    }
    return { found, missing: response.missingIds };
  }
}

function stockLineToProto(line: StockLine) {
  return { productId: line.productId, variantId: line.variantId ?? "", quantity: line.quantity };
}

/** A short line is the caller's problem (FAILED_PRECONDITION), not the dependency's health. */
function shortageOf(error: unknown): InsufficientStockError | undefined {
  if (!(error instanceof ConnectError) || error.code !== Code.FailedPrecondition) return undefined;
  const detail = error.findDetails(InsufficientStockSchema)[0];
  return detail ? new InsufficientStockError(detail.shortages) : undefined;
}

/**
 * Inventory over the Inventory service's gRPC contract. Reserve, release and commit are
 * idempotent by reservation id in that contract, and adjust replaces the lines, so all are
 * safe to retry.
 */
export class GrpcInventory implements Inventory {
  private readonly client: Client<typeof InventoryService>;

  constructor(
    transport: Transport,
    private readonly timeoutMs: number,
    private readonly guard: DependencyGuard,
  ) {
    this.client = createClient(InventoryService, transport);
  }

  async check(lines: readonly StockLine[], signal: AbortSignal, reservationId = "") {
    const request = { lines: lines.map(stockLineToProto), reservationId };
    const response = await this.guard.safe(
      (attempt) => this.client.checkAvailability(request, callOptions(this.timeoutMs, attempt)),
      signal,
    );
    return response.lines.map((line) => ({
      productId: line.productId,
      variantId: line.variantId,
      quantity: line.requested,
      available: line.available,
    }));
  }

  async reserve(reservationId: string, lines: readonly StockLine[], signal: AbortSignal, hold: ReserveOptions = {}) {
    const request = {
      reservationId,
      lines: lines.map(stockLineToProto),
      sourceReservationIds: [...(hold.from ?? [])],
      ...(hold.expiresAt ? { expireTime: timestampFromDate(hold.expiresAt) } : {}),
    };
    return this.takeStock((options) => this.client.reserveStock(request, options), signal);
  }

  async adjust(reservationId: string, lines: readonly StockLine[], signal: AbortSignal) {
    return this.takeStock(
      (options) => this.client.adjustReservation({ reservationId, lines: lines.map(stockLineToProto) }, options),
      signal,
    );
  }

  /** Reserve, adjust and move may find stock short, which is an answer about the request, not a failure of the service. */
  private async takeStock(
    call: (options: ReturnType<typeof callOptions>) => Promise<{ reservation?: { allocations: readonly Allocation[] } }>,
    signal: AbortSignal,
  ): Promise<Allocation[]> {
    const response = await this.guard.safe(async (attempt) => {
      try {
        return await call(callOptions(this.timeoutMs, attempt));
      } catch (error) {
        throw shortageOf(error) ?? error;
      }
    }, signal);
    return (response.reservation?.allocations ?? []).map(({ productId, variantId, locationId, quantity }) => ({
      productId,
      variantId,
      locationId,
      quantity,
    }));
  }

  async release(reservationId: string, signal: AbortSignal) {
    await this.guard.safe((attempt) => this.client.releaseReservation({ reservationId }, callOptions(this.timeoutMs, attempt)), signal);
  }

  async commit(reservationId: string, signal: AbortSignal) {
    await this.guard.safe((attempt) => this.client.commitReservation({ reservationId }, callOptions(this.timeoutMs, attempt)), signal);
  }

  async releaseUnits(reservationId: string, { operationId, units }: UnitsOperation, signal: AbortSignal) {
    const request = { reservationId, operationId, allocations: [...units] };
    await this.guard.safe((attempt) => this.client.releaseReservation(request, callOptions(this.timeoutMs, attempt)), signal);
  }

  async commitUnits(reservationId: string, { operationId, units }: UnitsOperation, signal: AbortSignal) {
    const request = { reservationId, operationId, allocations: [...units] };
    await this.guard.safe((attempt) => this.client.commitReservation(request, callOptions(this.timeoutMs, attempt)), signal);
  }

  async uncommitUnits(reservationId: string, { operationId, units }: UnitsOperation, signal: AbortSignal) {
    const request = { reservationId, operationId, allocations: [...units] };
    await this.guard.safe((attempt) => this.client.uncommitReservation(request, callOptions(this.timeoutMs, attempt)), signal);
  }

  async move(reservationId: string, { operationId, units, toLocationId }: MoveOperation, signal: AbortSignal) {
    const request = { reservationId, operationId, allocations: [...units], toLocationId };
    await this.takeStock((options) => this.client.moveReservation(request, options), signal);
  }

  async restock(reservationId: string, { operationId, units }: UnitsOperation, signal: AbortSignal) {
    const request = { reservationId, operationId, allocations: [...units] };
    await this.guard.safe((attempt) => this.client.restockReturn(request, callOptions(this.timeoutMs, attempt)), signal);
  }

  async undo(reservationId: string, operationId: string, signal: AbortSignal) {
    const request = { reservationId, operationId };
    await this.guard.safe((attempt) => this.client.undoReservationOperation(request, callOptions(this.timeoutMs, attempt)), signal);
  }

  async locations(sellerId: string, signal: AbortSignal) {
    const response = await this.guard.safe(
      (attempt) => this.client.listLocations({ sellerId }, callOptions(this.timeoutMs, attempt)),
      signal,
    );
    return response.locations.map(({ id, sellerId: seller, name }) => ({ id, sellerId: seller, name }));
  }
}

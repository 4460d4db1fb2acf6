import type { Money } from "../money/money.js";

export interface ProductInfo {
  readonly id: string;
  readonly sku: string;
  readonly name: string;
  readonly price: Money;
  readonly active: boolean;
  readonly imageUrl: string;
}

export interface StockLine {
  readonly productId: string;
  readonly quantity: number;
}

/** Product lookups the order service needs. Implementations throw domain errors only. */
export interface ProductCatalog {
  /** One call for many ids; ids that do not exist come back in `missing`. */
  getProducts(ids: readonly string[], signal: AbortSignal): Promise<{ found: Map<string, ProductInfo>; missing: string[] }>;
}

/** Stock reservations, keyed by a caller-chosen id (the order id) so retries cannot double-reserve. */
export interface Availability extends StockLine {
  readonly available: number;
}

export interface Inventory {
  /** Read-only: how much of each line is available now. */
  check(lines: readonly StockLine[], signal: AbortSignal): Promise<Availability[]>;
  /** All lines or none; throws InsufficientStockError with every shortage. */
  reserve(reservationId: string, lines: readonly StockLine[], signal: AbortSignal): Promise<void>;
  /** Replaces a held reservation's lines, all or nothing; InsufficientStockError when short. */
  adjust(reservationId: string, lines: readonly StockLine[], signal: AbortSignal): Promise<void>;
  release(reservationId: string, signal: AbortSignal): Promise<void>;
  /** The goods left the warehouse: reserved stock becomes shipped stock. */
  commit(reservationId: string, signal: AbortSignal): Promise<void>;
}

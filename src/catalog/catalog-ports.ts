import type { Money } from "../money/money.js";

/** A sellable version of a product (size, colour...) with its own sku, price and stock. */
export interface VariantInfo {
  readonly id: string;
  readonly sku: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly price: Money;
  readonly active: boolean;
}

export interface ProductInfo {
  readonly id: string;
  readonly sku: string;
  readonly name: string;
  readonly price: Money;
  readonly active: boolean;
  readonly imageUrl: string;
  /** The marketplace seller that ships it; '' where the Product service names none. */
  readonly sellerId: string;
  /** Empty for products sold as one thing; otherwise a line must name one of these. */
  readonly variants: readonly VariantInfo[];
}

/** Stock is kept per product, or per variant for products with variants. */
export interface StockLine {
  readonly productId: string;
  /** '' or absent for products without variants. */
  readonly variantId?: string;
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

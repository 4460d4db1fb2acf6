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

/** Units of one line held (or shipped) at one location. */
export interface Allocation {
  readonly productId: string;
  /** '' for products without variants. */
  readonly variantId: string;
  readonly locationId: string;
  readonly quantity: number;
}

/** A place a seller keeps stock and ships from. */
export interface StockLocation {
  readonly id: string;
  readonly sellerId: string;
  readonly name: string;
}

/** Units an operation names; its id makes a retry do nothing more and lets `undo` reverse exactly it. */
export interface UnitsOperation {
  readonly operationId: string;
  readonly units: readonly Allocation[];
}

export interface MoveOperation extends UnitsOperation {
  readonly toLocationId: string;
}

/** How a reservation is made: a hold that lapses, and reservations whose held units it takes over. */
export interface ReserveOptions {
  /** A hold (a cart's) that lapses then: its units count as available to everyone after it. */
  readonly expiresAt?: Date;
  /** Held units of these move in first and they are released, in the same step. */
  readonly from?: readonly string[];
}

export interface Inventory {
  /** Read-only: how much of each line is available now; what `reservationId` holds counts as available. */
  check(lines: readonly StockLine[], signal: AbortSignal, reservationId?: string): Promise<Availability[]>;
  /** All lines or none, each taken from its seller's locations in order; where the units are held. InsufficientStockError when short. */
  reserve(reservationId: string, lines: readonly StockLine[], signal: AbortSignal, options?: ReserveOptions): Promise<Allocation[]>;
  /** Replaces a held reservation's lines, all or nothing; where the units are held after. InsufficientStockError when short. */
  adjust(reservationId: string, lines: readonly StockLine[], signal: AbortSignal): Promise<Allocation[]>;
  /** Gives back everything the reservation still holds. */
  release(reservationId: string, signal: AbortSignal): Promise<void>;
  /** The goods left the warehouse: everything still held becomes shipped stock. */
  commit(reservationId: string, signal: AbortSignal): Promise<void>;
  /** Gives back these held units. */
  releaseUnits(reservationId: string, operation: UnitsOperation, signal: AbortSignal): Promise<void>;
  /** These held units left the warehouse (a shipment). */
  commitUnits(reservationId: string, operation: UnitsOperation, signal: AbortSignal): Promise<void>;
  /** Committed units held again (a shipment cancelled before it left). */
  uncommitUnits(reservationId: string, operation: UnitsOperation, signal: AbortSignal): Promise<void>;
  /** Moves held units to another location of the same seller, all or none; InsufficientStockError when it is short. */
  move(reservationId: string, operation: MoveOperation, signal: AbortSignal): Promise<void>;
  /** Reverses the operation if it happened, and makes sure it never will if it has not: how a failed change takes its calls back. */
  undo(reservationId: string, operationId: string, signal: AbortSignal): Promise<void>;
  /** Shipped units back on sale at the locations named (a return received in good condition). */
  restock(reservationId: string, operation: UnitsOperation, signal: AbortSignal): Promise<void>;
  /** The seller's locations, in the order reservations take stock. */
  locations(sellerId: string, signal: AbortSignal): Promise<StockLocation[]>;
}

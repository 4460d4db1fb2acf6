import { defineEntity, p } from "@mikro-orm/core";

/** Tables of the built-in reference catalog, used when no Product/Inventory service is configured. */
const ProductSchema = defineEntity({
  name: "CatalogProduct",
  tableName: "catalog_products",
  properties: {
    id: p.string().primary(),
    sku: p.string().unique(),
    name: p.string(),
    description: p.text().default(""),
    currency: p.string().length(3),
    priceMinor: p.bigint(),
    active: p.boolean(),
    imageUrl: p.string().length(1024).default(""),
    /** Units that can still be reserved. */
    available: p.integer(),
    reserved: p.integer().default(0),
    sellerId: p.string().default(""),
  },
  checks: [
    { name: "catalog_products_price_minor_check", expression: "price_minor >= 0" },
    { name: "catalog_products_available_check", expression: "available >= 0" },
    { name: "catalog_products_reserved_check", expression: "reserved >= 0" },
  ],
});
export class CatalogProduct extends ProductSchema.class {}
ProductSchema.setClass(CatalogProduct);

/** A sellable version of a product with its own price and stock; products with variants are bought by variant. */
const VariantSchema = defineEntity({
  name: "CatalogVariant",
  tableName: "catalog_variants",
  properties: {
    id: p.string().primary(),
    productId: p.string().index("catalog_variants_product_id"),
    sku: p.string().unique(),
    attributes: p.json<Record<string, string>>(),
    priceMinor: p.bigint(),
    active: p.boolean(),
    available: p.integer(),
    reserved: p.integer().default(0),
  },
  checks: [
    { name: "catalog_variants_price_minor_check", expression: "price_minor >= 0" },
    { name: "catalog_variants_available_check", expression: "available >= 0" },
    { name: "catalog_variants_reserved_check", expression: "reserved >= 0" },
  ],
});
export class CatalogVariant extends VariantSchema.class {}
VariantSchema.setClass(CatalogVariant);

export interface ReservationLine {
  productId: string;
  /** '' for products without variants. */
  variantId?: string;
  quantity: number;
}

/** Where a reservation's units of one line are: held, or committed (shipped), at one location. */
export interface AllocationRow {
  productId: string;
  variantId: string;
  locationId: string;
  held: number;
  committed: number;
}

/** A seller's warehouse; `position` orders where a reservation takes stock first. */
const LocationSchema = defineEntity({
  name: "CatalogLocation",
  tableName: "catalog_locations",
  properties: {
    id: p.string().primary(),
    sellerId: p.string(),
    name: p.string(),
    position: p.integer(),
  },
  indexes: [{ name: "catalog_locations_seller_id", properties: ["sellerId", "position"] }],
});
export class CatalogLocation extends LocationSchema.class {}
LocationSchema.setClass(CatalogLocation);

/** Stock of one line (a product, or one of its variants) at one location. */
const StockSchema = defineEntity({
  name: "CatalogStock",
  tableName: "catalog_stock",
  properties: {
    locationId: p.string().primary(),
    productId: p.string().primary(),
    variantId: p.string().primary().default(""),
    available: p.integer(),
    reserved: p.integer().default(0),
  },
  indexes: [{ name: "catalog_stock_line", properties: ["productId", "variantId"] }],
  checks: [
    { name: "catalog_stock_available_check", expression: "available >= 0" },
    { name: "catalog_stock_reserved_check", expression: "reserved >= 0" },
  ],
});
export class CatalogStock extends StockSchema.class {}
StockSchema.setClass(CatalogStock);

const ReservationSchema = defineEntity({
  name: "StockReservation",
  tableName: "catalog_reservations",
  properties: {
    id: p.string().primary(),
    lines: p.json<ReservationLine[]>(),
    /** Where the lines' units are, by location. */
    allocations: p.json<AllocationRow[]>().default("[]"),
    status: p.enum(["HELD", "COMMITTED", "RELEASED"] as const),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    // A hold that lapses (a cart's): past it, its units are available to everyone else.
    expiresAt: p.datetime().nullable(),
  },
  indexes: [
    {
      name: "catalog_reservations_lapsing",
      expression: `create index "catalog_reservations_lapsing" on "catalog_reservations" ("expires_at") where "status" = 'HELD' and "expires_at" is not null`,
    },
  ],
});
export class StockReservation extends ReservationSchema.class {}
ReservationSchema.setClass(StockReservation);

/** Units one operation on a reservation took, gave back or moved. */
export interface OperationUnits {
  productId: string;
  variantId: string;
  locationId: string;
  quantity: number;
  /** A move's target. */
  toLocationId?: string;
}

/**
 * Commits, uncommits and moves of units, by the caller's operation id: a retry of one is not done
 * twice, and an undo reverses exactly what it did (or, arriving first, makes it do nothing).
 */
const OperationSchema = defineEntity({
  name: "ReservationOperation",
  tableName: "catalog_reservation_operations",
  properties: {
    reservationId: p.string().primary(),
    operationId: p.string().primary(),
    kind: p.enum(["COMMIT", "UNCOMMIT", "MOVE", "RELEASE", "RESTOCK", "NONE"] as const),
    units: p.json<OperationUnits[]>(),
    undone: p.boolean(),
    createdAt: p.datetime(),
  },
});
export class ReservationOperation extends OperationSchema.class {}
OperationSchema.setClass(ReservationOperation);

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

const ReservationSchema = defineEntity({
  name: "StockReservation",
  tableName: "catalog_reservations",
  properties: {
    id: p.string().primary(),
    lines: p.json<ReservationLine[]>(),
    status: p.enum(["HELD", "COMMITTED", "RELEASED"] as const),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export class StockReservation extends ReservationSchema.class {}
ReservationSchema.setClass(StockReservation);

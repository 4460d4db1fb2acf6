import { defineEntity, p } from "@mikro-orm/core";
import type { Check, Fields, Holds } from "../../db/fields.js";
import type { CartFields, CartLineFields } from "../domain/cart-data.js";

/** One per user. Lines keep the product as it was when added (name, image, price snapshot). */
const CartSchema = defineEntity({
  name: "Cart",
  tableName: "carts",
  properties: {
    userId: p.string().primary(),
    currency: p.string().length(3),
    // Bumped by mutateCart under the row lock; 0 is a cart that was never changed.
    version: p.integer().default(1),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    // The cleanup job deletes by expiry.
    expiresAt: p.datetime().index("carts_expires_at"),
    // The cart's hold at Inventory ('' none) and when it lapses; the hold sweeper finds lapsed ones by it.
    reservationId: p.string().default(""),
    holdsUntil: p.datetime().nullable(),
    checkoutUntil: p.datetime().nullable(),
    // OPEN, or MERGED (a guest cart moved into `mergedInto`, a user's cart).
    status: p.enum(["OPEN", "MERGED"] as const).default("OPEN"),
    mergedInto: p.string().default(""),
    guestEmail: p.string().default(""),
    // The last CartAbandoned; one more only after the cart changes and is left again.
    abandonedAt: p.datetime().nullable(),
    items: () => p.oneToMany(CartItemRow).mappedBy("cart").orderBy({ id: "asc" }),
  },
  indexes: [
    {
      name: "carts_holds_until",
      expression: `create index "carts_holds_until" on "carts" ("holds_until") where "holds_until" is not null`,
    },
    { name: "carts_idle", expression: `create index "carts_idle" on "carts" ("updated_at") where "status" = 'OPEN'` },
  ],
});
export class CartRow extends CartSchema.class {}
CartSchema.setClass(CartRow);

const CartItemSchema = defineEntity({
  name: "CartItem",
  tableName: "cart_items",
  properties: {
    id: p.bigint().primary().autoincrement(),
    cart: () => p.manyToOne(CartRow).deleteRule("cascade"),
    productId: p.string(),
    sku: p.string(),
    name: p.string(),
    imageUrl: p.string().length(1024).default(""),
    quantity: p.integer(),
    unitPriceMinor: p.bigint(),
    variantId: p.string().default(""),
    sellerId: p.string().default(""),
    variantAttributes: p.json<Record<string, string>>().default("{}"),
  },
  uniques: [{ name: "cart_items_one_line_per_variant", properties: ["cart", "productId", "variantId"] }],
  checks: [
    { name: "cart_items_quantity_check", expression: "quantity > 0" },
    { name: "cart_items_unit_price_minor_check", expression: "unit_price_minor >= 0" },
  ],
});
export class CartItemRow extends CartItemSchema.class {}
CartItemSchema.setClass(CartItemRow);

/** Compile-time only: fails to compile when a table and the domain's data differ. */
export type TablesHoldTheDomain = [
  Check<Holds<Fields<CartRow, "items">, CartFields>>,
  Check<Holds<Fields<CartItemRow, "cart" | "id">, CartLineFields>>,
];

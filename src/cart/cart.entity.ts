import { defineEntity, p } from "@mikro-orm/core";

/** One per user. Lines keep the product as it was when added (name, image, price snapshot). */
const CartSchema = defineEntity({
  name: "Cart",
  tableName: "carts",
  properties: {
    userId: p.string().primary(),
    currency: p.string().length(3),
    // Bumped by mutateCart under the row lock; 0 is a cart that was never changed.
    version: p.integer(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    expiresAt: p.datetime().index(),
    items: () => p.oneToMany(CartItem).mappedBy("cart").orderBy({ id: "asc" }),
  },
});
export class Cart extends CartSchema.class {}
CartSchema.setClass(Cart);

const CartItemSchema = defineEntity({
  name: "CartItem",
  tableName: "cart_items",
  properties: {
    id: p.bigint().primary().autoincrement(),
    cart: () => p.manyToOne(Cart).deleteRule("cascade"),
    productId: p.string(),
    sku: p.string(),
    name: p.string(),
    imageUrl: p.string().default(""),
    quantity: p.integer(),
    unitPriceMinor: p.bigint(),
  },
});
export class CartItem extends CartItemSchema.class {}
CartItemSchema.setClass(CartItem);

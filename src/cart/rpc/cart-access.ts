import type { CartService } from "../../../gen/shop/cart/v1/cart_pb.js";
import type { AccessTable, ByViewer, VisibilityTable } from "../../platform/auth/visibility.js";
import { ORDER_VISIBILITY } from "../../orders/rpc/order-access.js";

const ALL: ByViewer = { customer: true, seller: true, staff: true };
const STAFF: ByViewer = { customer: false, seller: false, staff: true };
/** A customer's own cart (another user's is NOT_FOUND); staff name any user's; sellers keep no carts. */
const CART: ByViewer = { customer: "own cart, or a guest's one cart with its token", seller: false, staff: "any user's cart" };

export const CART_ACCESS: AccessTable<typeof CartService> = {
  getCart: CART,
  addItem: CART,
  updateItemQuantity: CART,
  removeItem: CART,
  clearCart: CART,
  checkout: CART,
  // No token needed (platform/auth/admission.ts); limited per client address.
  createGuestCart: { customer: "anyone, with no token at all", seller: false, staff: true },
  mergeCart: { customer: "into own cart, with the guest cart's token", seller: false, staff: "into any user's cart" },
  listCarts: STAFF,
  releaseCartHolds: STAFF,
};

/** Each field of every message CartService answers with, by role (Checkout answers with an order: the order's table). */
export const CART_VISIBILITY: VisibilityTable = {
  ...ORDER_VISIBILITY,
  "shop.cart.v1.Cart": {
    user_id: ALL,
    items: ALL,
    subtotal: ALL,
    tax: ALL,
    shipping: ALL,
    total: ALL,
    item_count: ALL,
    version: ALL,
    update_time: ALL,
    expire_time: ALL,
    hold_expire_time: ALL,
    cart_id: ALL,
    guest: ALL,
    status: ALL,
    merged_into: ALL,
  },
  "shop.cart.v1.CartItem": {
    product_id: ALL,
    sku: ALL,
    name: ALL,
    quantity: ALL,
    unit_price: ALL,
    line_total: ALL,
    image_url: ALL,
    variant_id: ALL,
    seller_id: ALL,
    variant_attributes: ALL,
  },
  "shop.cart.v1.GetCartResponse": { cart: ALL },
  "shop.cart.v1.AddItemResponse": { cart: ALL },
  "shop.cart.v1.UpdateItemQuantityResponse": { cart: ALL },
  "shop.cart.v1.RemoveItemResponse": { cart: ALL },
  "shop.cart.v1.ClearCartResponse": { cart: ALL },
  "shop.cart.v1.CheckoutResponse": { order: ALL, order_link: ALL },
  "shop.cart.v1.OrderLink": { token: ALL, expire_time: ALL },
  "shop.cart.v1.CreateGuestCartResponse": { cart: ALL, cart_token: ALL, token_expire_time: ALL },
  "shop.cart.v1.MergeCartResponse": { cart: ALL, adjustments: ALL },
  "shop.cart.v1.ListCartsResponse": { carts: STAFF, next_page_token: STAFF },
  "shop.cart.v1.ReleaseCartHoldsResponse": { cart: STAFF },
  "shop.cart.v1.CartAdjustments.Adjustment": {
    product_id: ALL,
    old_unit_price: ALL,
    new_unit_price: ALL,
    no_longer_available: ALL,
    reason: ALL,
    old_quantity: ALL,
    new_quantity: ALL,
    variant_id: ALL,
  },
};

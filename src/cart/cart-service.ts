import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { EntityManager } from "@mikro-orm/postgresql";
import { CheckoutRequestSchema, CheckoutResponseSchema, type CartService, type CheckoutResponse } from "../../gen/shop/cart/v1/cart_pb.js";
import { assertOrderVisible } from "../orders/get-order.js";
import { orderToProto } from "../orders/order-mapper.js";
import { withoutCardData } from "../payments/card-data.js";
import type { OrderRecord } from "../orders/order-record.js";
import { actingFor, ownerOf } from "../platform/auth/principal.js";
import { scopeOf, type RpcScope } from "../platform/rpc-scope.js";
import type { CartDeps } from "./cart-deps.js";
import { parseCheckout, parseClear, parseLine, parseUserId, type CartTarget } from "./cart-input.js";
import { cartToProto } from "./cart-mapper.js";
import { findCart, mutateCart } from "./cart-store.js";
import type { Cart } from "./cart.entity.js";
import { checkout } from "./checkout.js";
import { addToCart, clearCart, removeFromCart, requireSellable, setQuantity } from "./edit-cart.js";

/** The request with the cart it is about: a customer's own, whatever they sent; staff name any. */
function owned<R extends { userId: string }>(scope: RpcScope, request: R): R {
  return { ...request, userId: actingFor(scope.principal, request.userId, "cart") };
}

/** Thin handlers: proto in, use case, proto out. Errors are mapped by the RPC scope. */
export function cartService(deps: CartDeps): Partial<ServiceImpl<typeof CartService>> {
  const respond = (userId: string, cart: Cart | null) => ({ cart: cartToProto(userId, cart, deps.pricing, deps.clock.now()) });
  const change = async (scope: RpcScope, target: CartTarget, edit: (cart: Cart, tx: EntityManager) => void) =>
    respond(target.userId, await mutateCart(scope.em, deps, target, edit));

  return {
    async getCart(request, context) {
      const scope = scopeOf(context);
      const userId = parseUserId(owned(scope, request).userId);
      return respond(userId, await findCart(scope.em, userId));
    },

    async addItem(request, context) {
      const scope = scopeOf(context);
      const command = parseLine(owned(scope, request), deps.cart, 1);
      const { found } = await deps.catalog.getProducts([command.productId], scope.signal);
      const product = requireSellable(command.productId, found.get(command.productId));
      return change(scope, command, (cart, tx) => addToCart(cart, tx, product, command.quantity, deps.cart));
    },

    async updateItemQuantity(request, context) {
      const scope = scopeOf(context);
      const command = parseLine(owned(scope, request), deps.cart, 0);
      return change(scope, command, (cart, tx) => setQuantity(cart, tx, command.productId, command.quantity));
    },

    async removeItem(request, context) {
      const scope = scopeOf(context);
      const command = parseLine(owned(scope, request), deps.cart, 0);
      return change(scope, command, (cart, tx) => removeFromCart(cart, tx, command.productId));
    },

    async clearCart(request, context) {
      const scope = scopeOf(context);
      return change(scope, parseClear(owned(scope, request)), clearCart);
    },

    async checkout(request, context) {
      const scope = scopeOf(context);
      const command = parseCheckout(owned(scope, request), deps.clock.now());
      const toResponse = (order: OrderRecord) => create(CheckoutResponseSchema, { order: orderToProto(order) });
      const call = {
        rpc: "Checkout",
        caller: scope.principal.userId,
        parts: [command.userId, command.requestId],
        requestSchema: CheckoutRequestSchema,
        request: withoutCardData(CheckoutRequestSchema, request),
        responseSchema: CheckoutResponseSchema,
        beforeReplay: (stored: CheckoutResponse) => assertOrderVisible(scope.em, stored.order!.id, { ownerId: ownerOf(scope.principal) }),
      };
      return deps.idempotency.run(scope, call, (record) => checkout(command, scope, deps, (tx, order) => record(tx, toResponse(order))));
    },
  };
}

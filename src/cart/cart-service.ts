import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import {
  AddItemRequestSchema,
  AddItemResponseSchema,
  CheckoutRequestSchema,
  CheckoutResponseSchema,
  ClearCartRequestSchema,
  ClearCartResponseSchema,
  RemoveItemRequestSchema,
  RemoveItemResponseSchema,
  UpdateItemQuantityRequestSchema,
  UpdateItemQuantityResponseSchema,
  type CartService,
  type CheckoutResponse,
} from "../../gen/shop/cart/v1/cart_pb.js";
import { assertOrderVisible } from "../orders/order-repository.js";
import { orderToProto } from "../orders/order-mapper.js";
import { withoutCardData } from "../payments/card-data.js";
import type { OrderView } from "../orders/order.js";
import { actingFor, ownerOf } from "../platform/auth/principal.js";
import type { ScopedImpl } from "../platform/rpc-chain.js";
import type { RpcScope } from "../platform/rpc-scope.js";
import type { CartDeps } from "./cart-deps.js";
import { parseCheckout, parseClear, parseLine, parseUserId, type CartChange } from "./cart-input.js";
import { cartToProto } from "./cart-mapper.js";
import { findCart, mutateCart } from "./cart-store.js";
import { requireSellable, type Cart, type CartView } from "./cart.js";
import { checkout } from "./checkout.js";

/** The request with the cart it is about: a customer's own, whatever they sent; staff name any (CART_ACCESS keeps sellers out). */
function owned<R extends { userId: string }>(scope: RpcScope, request: R): R {
  return { ...request, userId: actingFor(scope.principal, request.userId, "cart") };
}

/** Thin handlers: proto in, use case, proto out. Errors are mapped by the RPC scope. */
export function cartService(deps: CartDeps): ScopedImpl<typeof CartService> {
  const respond = (userId: string, cart: CartView | null) => ({ cart: cartToProto(userId, cart, deps.pricing, deps.clock.now()) });

  /**
   * Every change of a cart: idempotent by request id (per RPC, caller and cart), so a retry after
   * a lost answer gets that answer and changes nothing twice. `prepare` runs before the cart is
   * locked (a catalog lookup) and only for a request not seen before.
   */
  function change<Req extends DescMessage, Res extends DescMessage, T>(
    scope: RpcScope,
    [requestSchema, responseSchema]: [Req, Res],
    request: MessageShape<Req>,
    command: CartChange,
    prepare: () => Promise<T>,
    edit: (cart: Cart, prepared: T) => void,
  ): Promise<MessageShape<Res>> {
    const call = {
      rpc: scope.rpc,
      caller: scope.principal.userId,
      parts: [command.userId, command.requestId],
      requestSchema,
      request,
      responseSchema,
      beforeReplay: async () => undefined,
    };
    // Every cart change answers { cart }.
    const answer = (cart: CartView) => create(responseSchema, respond(command.userId, cart) as unknown as MessageInitShape<Res>);
    return deps.idempotency.run(scope, call, async (record) => {
      const prepared = await prepare();
      await mutateCart(
        scope.em,
        deps,
        command,
        (locked) => edit(locked, prepared),
        (tx, changed) => record(tx, answer(changed)),
      );
    });
  }
  const nothing = async () => undefined;

  return {
    async getCart(request, scope) {
      const userId = parseUserId(owned(scope, request).userId);
      return respond(userId, await findCart(scope.em, userId));
    },

    addItem(request, scope) {
      const command = parseLine(owned(scope, request), deps.cart, 1);
      const lookUp = async () => {
        const { found } = await deps.catalog.getProducts([command.productId], scope.signal);
        return requireSellable(command, found.get(command.productId));
      };
      return change(scope, [AddItemRequestSchema, AddItemResponseSchema], request, command, lookUp, (cart, product) =>
        cart.add(product, command.quantity, deps.cart),
      );
    },

    updateItemQuantity(request, scope) {
      const command = parseLine(owned(scope, request), deps.cart, 0);
      const schemas: [typeof UpdateItemQuantityRequestSchema, typeof UpdateItemQuantityResponseSchema] = [
        UpdateItemQuantityRequestSchema,
        UpdateItemQuantityResponseSchema,
      ];
      return change(scope, schemas, request, command, nothing, (cart) => cart.setQuantity(command, command.quantity));
    },

    removeItem(request, scope) {
      const command = parseLine(owned(scope, request), deps.cart, 0);
      return change(scope, [RemoveItemRequestSchema, RemoveItemResponseSchema], request, command, nothing, (cart) => cart.remove(command));
    },

    clearCart(request, scope) {
      return change(scope, [ClearCartRequestSchema, ClearCartResponseSchema], request, parseClear(owned(scope, request)), nothing, (cart) =>
        cart.clear(),
      );
    },

    async checkout(request, scope) {
      const command = parseCheckout(owned(scope, request));
      const toResponse = (order: OrderView) => create(CheckoutResponseSchema, { order: orderToProto(order) });
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

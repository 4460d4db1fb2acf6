import { create, type DescMessage, type DescMethodUnary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { CartService, type CheckoutResponse } from "../../../gen/shop/cart/v1/cart_pb.js";
import { assertOrderVisible } from "../../orders/store/order-queries.js";
import { orderToProto } from "../../orders/rpc/order-mapper.js";
import { readerOf } from "../../orders/rpc/order-callers.js";
import type { OrderView } from "../../orders/domain/order.js";
import { withoutCardData } from "../../payments/card-data.js";
import { isStaff, type Principal } from "../../platform/auth/principal.js";
import { NotFoundError } from "../../platform/errors/domain-errors.js";
import type { ScopedImpl } from "../../platform/rpc/rpc-chain.js";
import type { RpcScope } from "../../platform/rpc/rpc-scope.js";
import type { CartDeps } from "../cart-deps.js";
import { checkout } from "../checkout.js";
import { requireSellable, type Cart, type CartView } from "../domain/cart.js";
import { mutateCart } from "../mutate-cart.js";
import { findCart } from "../store/cart-queries.js";
import { cartToProto } from "./cart-mapper.js";
import { parseCheckout, parseClear, parseLine, parseUserId, type CartChange } from "./cart-requests.js";

/**
 * Whose cart a call is about: nobody named means the caller's own. Staff name anyone; a customer
 * naming another user gets what a missing cart gets (CART_ACCESS keeps sellers out altogether).
 */
function cartOwnerOf(principal: Principal, requested: string): string {
  if (!requested || requested === principal.userId) return principal.userId;
  if (isStaff(principal)) return requested;
  throw new NotFoundError("cart", requested);
}

function owned<R extends { userId: string }>(scope: RpcScope, request: R): R {
  return { ...request, userId: cartOwnerOf(scope.principal, request.userId) };
}

/** Thin handlers: proto in, use case, proto out. Errors are mapped by the call chain. */
export function cartService(deps: CartDeps): ScopedImpl<typeof CartService> {
  const withCart = (userId: string, cart: CartView | null) => ({ cart: cartToProto(userId, cart, deps.pricing, deps.clock.now()) });

  /**
   * Every change of a cart, named by its method: idempotent by request id (per RPC, caller and
   * cart), so a retry after a lost answer gets that answer and changes nothing twice. `prepare`
   * runs before the cart is locked (a catalog lookup) and only for a request not seen before.
   */
  function change<I extends DescMessage, O extends DescMessage, T>(
    method: DescMethodUnary<I, O>,
    scope: RpcScope,
    request: MessageShape<I>,
    command: CartChange,
    prepare: () => Promise<T>,
    edit: (cart: Cart, prepared: T) => void,
    respond: (userId: string, cart: CartView) => MessageInitShape<O>,
  ): Promise<MessageShape<O>> {
    const call = {
      rpc: method.name,
      caller: scope.principal.userId,
      parts: [command.userId, command.requestId],
      requestSchema: method.input,
      request,
      responseSchema: method.output,
      beforeReplay: async () => undefined,
    };
    return deps.idempotency.run(scope, call, async (record) => {
      const prepared = await prepare();
      await mutateCart(
        scope,
        deps,
        command,
        (locked) => edit(locked, prepared),
        (tx, changed) => record(tx, create(method.output, respond(command.userId, changed))),
      );
    });
  }
  const nothing = async () => undefined;

  return {
    async getCart(request, scope) {
      const userId = parseUserId(owned(scope, request).userId);
      return withCart(userId, await findCart(scope.em, userId));
    },

    addItem(request, scope) {
      const command = parseLine(owned(scope, request), deps.cart, 1);
      const lookUp = async () => {
        const { found } = await deps.catalog.getProducts([command.productId], scope.signal);
        return requireSellable(command, found.get(command.productId));
      };
      const add = (cart: Cart, product: Awaited<ReturnType<typeof lookUp>>) => cart.add(product, command.quantity, deps.cart);
      return change(CartService.method.addItem, scope, request, command, lookUp, add, withCart);
    },

    updateItemQuantity(request, scope) {
      const command = parseLine(owned(scope, request), deps.cart, 0);
      const set = (cart: Cart) => cart.setQuantity(command, command.quantity);
      return change(CartService.method.updateItemQuantity, scope, request, command, nothing, set, withCart);
    },

    removeItem(request, scope) {
      const command = parseLine(owned(scope, request), deps.cart, 0);
      return change(CartService.method.removeItem, scope, request, command, nothing, (cart) => cart.remove(command), withCart);
    },

    clearCart(request, scope) {
      const command = parseClear(owned(scope, request));
      return change(CartService.method.clearCart, scope, request, command, nothing, (cart) => cart.clear(), withCart);
    },

    async checkout(request, scope) {
      const command = parseCheckout(owned(scope, request));
      const method = CartService.method.checkout;
      const toResponse = (order: OrderView) => create(method.output, { order: orderToProto(order) });
      const call = {
        rpc: method.name,
        caller: scope.principal.userId,
        parts: [command.userId, command.requestId],
        requestSchema: method.input,
        request: withoutCardData(method.input, request),
        responseSchema: method.output,
        beforeReplay: (stored: CheckoutResponse) => assertOrderVisible(scope.em, stored.order!.id, readerOf(scope.principal)),
      };
      return deps.idempotency.run(scope, call, (record) => checkout(command, scope, deps, (tx, order) => record(tx, toResponse(order))));
    },
  };
}

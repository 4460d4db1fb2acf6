import { create, type DescMessage, type DescMethodUnary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { CartService, type CheckoutResponse } from "../../../gen/shop/cart/v1/cart_pb.js";
import { assertOrderVisible } from "../../orders/store/order-queries.js";
import { orderToProto } from "../../orders/rpc/order-mapper.js";
import { readerOf } from "../../orders/rpc/order-callers.js";
import type { OrderView } from "../../orders/domain/order.js";
import { withoutCardData } from "../../payments/card-data.js";
import { isStaff, type Principal } from "../../platform/auth/principal.js";
import { InvalidArgumentError, NotFoundError } from "../../platform/errors/domain-errors.js";
import type { ScopedImpl } from "../../platform/rpc/rpc-chain.js";
import type { RpcScope } from "../../platform/rpc/rpc-scope.js";
import type { CartDeps } from "../cart-deps.js";
import { checkout } from "../checkout.js";
import { requireSellable, type Cart, type CartView } from "../domain/cart.js";
import { mutateCart } from "../mutate-cart.js";
import { findCart } from "../store/cart-queries.js";
import { cartToProto } from "./cart-mapper.js";
import {
  parseCheckout,
  parseClear,
  parseCreateGuestCart,
  parseLine,
  parseListCarts,
  parseMerge,
  parseReleaseCartHolds,
  parseUserId,
  type CartChange,
} from "./cart-requests.js";
import { cartsPage, releaseCartHolds } from "../staff-carts.js";
import { adjustmentsToProto } from "./cart-error-details.js";
import { mergeCart, type MergeResult } from "../merge-cart.js";
import { isGuestKey, linkGuestOrder, orderLinkOf, startGuestCart } from "../guest-carts.js";
import { GUEST_PREFIX } from "../../platform/auth/capabilities.js";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";

/**
 * Whose cart a call is about: nobody named means the caller's own, a guest's being the one its
 * token names. Staff name anyone; a customer or guest naming another cart gets what a missing
 * cart gets (CART_ACCESS keeps sellers out altogether).
 */
function cartOwnerOf(principal: Principal, requested: string): string {
  const capability = principal.capability;
  if (capability?.kind === "guest-cart") {
    if (!requested || requested === principal.userId || requested === capability.cartId) return principal.userId;
    throw new NotFoundError("cart", requested);
  }
  if (!requested || requested === principal.userId) return principal.userId;
  if (isStaff(principal)) return requested;
  throw new NotFoundError("cart", requested);
}

function owned<R extends { userId: string }>(scope: RpcScope, request: R): R {
  return { ...request, userId: cartOwnerOf(scope.principal, request.userId) };
}

/** The idempotency record of a cart call: by request id per RPC, caller and cart (AIP-155). */
function cartCall<I extends DescMessage, O extends DescMessage>(
  method: DescMethodUnary<I, O>,
  caller: string,
  target: { userId: string; requestId: string },
  request: MessageShape<I>,
) {
  return {
    rpc: method.name,
    caller,
    parts: [target.userId, target.requestId],
    requestSchema: method.input,
    request,
    responseSchema: method.output,
    beforeReplay: async () => undefined,
  };
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
    return deps.idempotency.run(scope, cartCall(method, scope.principal.userId, command, request), async (record) => {
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

  /**
   * A guest's checkout answers with the order's link. The stored answer (idempotency) never holds
   * the token: it is signed again from the link's id and expiry, the same token each time.
   */
  async function withOrderLink(answer: CheckoutResponse, scope: RpcScope): Promise<CheckoutResponse> {
    const link = await orderLinkOf(scope.em, deps, answer.order!.id);
    if (!link) return answer;
    const orderLink = { token: link.token, expireTime: timestampFromDate(link.expiresAt) };
    return create(CartService.method.checkout.output, { order: answer.order, orderLink });
  }

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

    async createGuestCart(request, scope) {
      const { email } = parseCreateGuestCart(request);
      const started = await startGuestCart(scope.em, deps, email);
      return {
        ...withCart(started.key, started.cart),
        cartToken: started.token,
        tokenExpireTime: timestampFromDate(started.tokenExpiresAt),
      };
    },

    async listCarts(request, scope) {
      const page = await cartsPage(scope.em, deps, parseListCarts(request));
      const now = deps.clock.now();
      return { carts: page.carts.map((cart) => cartToProto(cart.userId, cart, deps.pricing, now)), nextPageToken: page.nextPageToken };
    },

    releaseCartHolds(request, scope) {
      const command = parseReleaseCartHolds(request);
      const method = CartService.method.releaseCartHolds;
      scope.log.info({ cart: command.userId, reason: command.reason }, "staff release a cart's hold");
      return deps.idempotency.run(scope, cartCall(method, scope.principal.userId, command, request), (record) =>
        releaseCartHolds(scope, deps, command.userId, (tx, cart) => record(tx, create(method.output, withCart(command.userId, cart)))),
      );
    },

    async mergeCart(request, scope) {
      const command = parseMerge(owned(scope, request));
      const guest = await deps.capabilities.verify(command.guestCartToken).catch(() => undefined);
      if (guest?.kind !== "guest-cart") {
        throw new InvalidArgumentError([{ field: "guest_cart_token", description: "is not a valid guest cart token (or it expired)" }]);
      }
      const { userId } = command;
      if (isGuestKey(userId)) throw new InvalidArgumentError([{ field: "user_id", description: "must name a signed-in user's cart" }]);
      const method = CartService.method.mergeCart;
      const respond = (result: MergeResult) =>
        create(method.output, { ...withCart(userId, result.cart), adjustments: adjustmentsToProto(result.adjustments) });
      const call = cartCall(method, userId, command, request);
      const target = { userId, guestKey: `${GUEST_PREFIX}${guest.cartId}`, mode: command.mode, expectedVersion: command.expectedVersion };
      return deps.idempotency.run(scope, call, (record) => mergeCart(scope, deps, target, (tx, result) => record(tx, respond(result))));
    },

    async checkout(request, scope) {
      const command = parseCheckout(owned(scope, request));
      const method = CartService.method.checkout;
      const toResponse = (order: OrderView) => create(method.output, { order: orderToProto(order) });
      const call = {
        ...cartCall(method, scope.principal.userId, command, withoutCardData(method.input, request)),
        beforeReplay: (stored: CheckoutResponse) => assertOrderVisible(scope.em, stored.order!.id, readerOf(scope.principal)),
      };
      const guest = isGuestKey(command.userId);
      const answer = await deps.idempotency.run(scope, call, (record) =>
        checkout(command, scope, deps, async (tx, order) => {
          if (guest) await linkGuestOrder(tx, deps, order.id);
          await record(tx, toResponse(order));
        }),
      );
      return guest ? withOrderLink(answer, scope) : answer;
    },
  };
}

import { create, type DescMessage, type DescMethodUnary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import * as pb from "../../../gen/shop/order/v1/order_pb.js";
import { withoutCardData } from "../../payments/card-data.js";
import type { Principal } from "../../platform/auth/principal.js";
import { keepVisible, refuseFilters, viewerOf } from "../../platform/auth/visibility.js";
import type { ScopedImpl } from "../../platform/rpc/rpc-chain.js";
import type { RpcScope } from "../../platform/rpc/rpc-scope.js";
import { changeItemStatus, changeStatus } from "../change-status.js";
import { mutateFulfilment, type FulfilmentMutation } from "../../fulfilment/mutate-fulfilment.js";
import type { OrderView } from "../domain/order.js";
import { addItem, editItem } from "../edit-items.js";
import { listOrders } from "../list-orders.js";
import type { OrderMutation } from "../mutate-order.js";
import type { OrderDeps } from "../order-deps.js";
import { orderEventLog, retryOrderEvents } from "../order-event-log.js";
import { orderHistory } from "../order-history.js";
import { payOrder } from "../pay-order.js";
import { placeOrder } from "../place-order.js";
import { assertOrderVisible, findOrder } from "../store/order-queries.js";
import { revokeOrderLinks } from "../../guests/order-links.js";
import { watchOrder } from "../watch-order.js";
import { LIST_ORDERS_FILTERS, ORDER_VISIBILITY } from "./order-access.js";
import { changeOrder, nothing, present, withOrder, type Runner } from "./order-change.js";
import { buyerOf, readerOf } from "./order-callers.js";
import { changeAsSeen, orderStatusToProto, trackingToProto } from "./order-mapper.js";
import {
  parseAddItem,
  parseChangeQuantity,
  parseChangeStatus,
  parseItemStatus,
  parsePay,
  parseReasonCommand,
  parseRemoveItem,
  parseRetryEvents,
  parseUpdateOrder,
  parseRevokeOrderLinks,
} from "./requests/change-requests.js";
import type { ChangeTarget } from "./requests/field-rules.js";
import { parseOrderId } from "./requests/field-rules.js";
import { parsePlaceOrder } from "./requests/place-order-request.js";
import { historyPageToken, parseGetOrderHistory, parseListOrders, parseWatchOrder } from "./requests/read-requests.js";
import { sellerItems } from "./seller-view.js";

/**
 * Thin handlers: proto in, use case, proto out. Who may call each is ORDER_ACCESS, checked by the
 * call chain before any handler runs; errors are mapped once, by the chain (platform/rpc/rpc-chain.ts).
 */
export function orderService(deps: OrderDeps): ScopedImpl<typeof pb.OrderService> {
  const mutate = <I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageShape<I>,
    scope: RpcScope,
    command: ChangeTarget,
    mutation: OrderMutation,
    respond: (order: OrderView, principal: Principal) => MessageInitShape<O>,
    run?: Runner,
  ) => changeOrder(deps, method, request, scope, command, mutation, respond, run);

  /** A change that may ship, deliver or drop units of the fulfilment orders: their stock operations are recorded first (mutate-fulfilment.ts). */
  function fulfil<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageShape<I>,
    scope: RpcScope,
    command: ChangeTarget,
    mutation: FulfilmentMutation,
    respond: (order: OrderView, principal: Principal) => MessageInitShape<O>,
  ): Promise<MessageShape<O>> {
    return mutate(method, request, scope, command, mutation as OrderMutation, respond, (s, d, target, m, before) =>
      mutateFulfilment(s, d, target, m as FulfilmentMutation, before),
    );
  }

  return {
    async createOrder(request, scope) {
      const userId = buyerOf(scope.principal, request.userId);
      const command = parsePlaceOrder({ ...request, userId }, deps.pricing.currency);
      const method = pb.OrderService.method.createOrder;
      const respond = (order: OrderView) => create(method.output, withOrder(order, scope.principal));
      const call = {
        rpc: method.name,
        caller: scope.principal.userId,
        parts: [command.userId, command.requestId],
        requestSchema: method.input,
        request: withoutCardData(method.input, request),
        responseSchema: method.output,
        beforeReplay: (stored: pb.CreateOrderResponse) => assertOrderVisible(scope.em, stored.order!.id, readerOf(scope.principal)),
      };
      return deps.idempotency.run(scope, call, (record) =>
        placeOrder(command, scope, deps, { inStatement: (order) => [record.step(respond(order))] }),
      );
    },

    /** Staff: the guest's links to the order stop working at once (every read checks them). */
    async revokeOrderLinks(request, scope) {
      const { orderId, reason } = parseRevokeOrderLinks(request);
      await assertOrderVisible(scope.em, orderId, {});
      return { revoked: await revokeOrderLinks(scope.em, orderId, scope.principal.userId, reason) };
    },

    async getOrder(request, scope) {
      return withOrder(await findOrder(scope.em, parseOrderId(request.orderId), readerOf(scope.principal)), scope.principal);
    },

    async listOrders(request, scope) {
      refuseFilters(LIST_ORDERS_FILTERS, pb.ListOrdersRequestSchema, request, viewerOf(scope.principal));
      const { ownerId, sellerId } = readerOf(scope.principal);
      // Customers see only their own orders and sellers those holding their items; asking for someone else's finds none.
      if (ownerId && request.userId && request.userId !== ownerId) return { orders: [], nextPageToken: "" };
      if (sellerId !== undefined && request.sellerId && request.sellerId !== sellerId) return { orders: [], nextPageToken: "" };
      const narrowed = { ...request, ...(ownerId ? { userId: ownerId } : {}), ...(sellerId !== undefined ? { sellerId } : {}) };
      const page = await listOrders(scope.em, parseListOrders(narrowed));
      return {
        orders: page.orders.map(present(scope.principal)),
        nextPageToken: page.nextPageToken,
        totalSize: page.totalSize,
        statusCounts: [...(page.statusCounts ?? [])].map(([status, count]) => ({ status: orderStatusToProto(status), count })),
      };
    },

    async *watchOrder(request, scope) {
      const target = { ...parseWatchOrder(request), ...readerOf(scope.principal) };
      const shown = present(scope.principal);
      for await (const update of watchOrder(scope.em, target, deps.notifications, deps.watch, scope.signal)) {
        yield update.kind === "heartbeat" ? { heartbeat: true } : { order: shown(update.order), eventType: update.eventType };
      }
    },

    async getOrderStatus(request, scope) {
      const reader = readerOf(scope.principal);
      const viewer = viewerOf(scope.principal);
      const order = await findOrder(scope.em, parseOrderId(request.orderId), { withHistory: true, ...reader });
      const shown = reader.sellerId === undefined ? order : sellerItems(order, reader.sellerId);
      const tracking = trackingToProto(shown, viewer === "staff" ? "staff" : { userId: scope.principal.userId });
      return keepVisible(ORDER_VISIBILITY, pb.GetOrderStatusResponseSchema, tracking, viewer);
    },

    async getOrderHistory(request, scope) {
      const viewer = viewerOf(scope.principal);
      const page = await orderHistory(scope.em, readerOf(scope.principal), parseGetOrderHistory(request));
      const seen = changeAsSeen({ userId: page.buyer }, viewer === "staff" ? "staff" : { userId: scope.principal.userId });
      const answer = {
        changes: page.changes.map(seen),
        nextPageToken: page.nextAfterId === undefined ? "" : historyPageToken(request.orderId.toLowerCase(), page.nextAfterId),
      };
      return keepVisible(ORDER_VISIBILITY, pb.GetOrderHistoryResponseSchema, answer, viewer);
    },

    async listOrderEvents(request, scope) {
      return orderEventLog(scope.em, parseOrderId(request.orderId));
    },

    async retryOrderEvents(request, scope) {
      const command = parseRetryEvents(request);
      const call = {
        rpc: scope.rpc,
        caller: scope.principal.userId,
        parts: [command.orderId, command.requestId],
        requestSchema: pb.RetryOrderEventsRequestSchema,
        request,
        responseSchema: pb.RetryOrderEventsResponseSchema,
        beforeReplay: async () => undefined,
      };
      return deps.idempotency.run(scope, call, (record) =>
        scope.em.transactional(async (tx) =>
          record(tx, create(pb.RetryOrderEventsResponseSchema, await retryOrderEvents(tx, command.orderId))),
        ),
      );
    },

    updateOrder(request, scope) {
      const command = parseUpdateOrder(request);
      return mutate(pb.OrderService.method.updateOrder, request, scope, command, (order) => order.update(command), withOrder);
    },

    updateOrderStatus(request, scope) {
      const command = parseChangeStatus(request);
      return fulfil(
        pb.OrderService.method.updateOrderStatus,
        request,
        scope,
        command,
        (order, ctx) => changeStatus(order, command, ctx),
        withOrder,
      );
    },

    payOrder(request, scope) {
      const command = parsePay(request);
      const key = `pay:${command.orderId}:${command.requestId}`;
      return mutate(
        pb.OrderService.method.payOrder,
        request,
        scope,
        command,
        (order, ctx) => payOrder(order, command.method, key, ctx),
        withOrder,
      );
    },

    cancelOrder(request, scope) {
      const command = parseReasonCommand(request, { reasonRequired: true });
      return mutate(
        pb.OrderService.method.cancelOrder,
        request,
        scope,
        command,
        async (order, ctx) => void (await ctx.run(order.cancel(command.reason, ctx.by))),
        withOrder,
      );
    },

    refundOrder(request, scope) {
      const command = parseReasonCommand(request, { reasonRequired: true });
      return mutate(
        pb.OrderService.method.refundOrder,
        request,
        scope,
        command,
        async (order, ctx) => void (await ctx.run(order.refund(command.reason, ctx.by))),
        withOrder,
      );
    },

    deleteOrder(request, scope) {
      const command = parseReasonCommand(request, { reasonRequired: false });
      return mutate(
        pb.OrderService.method.deleteOrder,
        request,
        scope,
        command,
        (order, ctx) => order.delete(command.reason, ctx.by),
        nothing,
      );
    },

    updateOrderItemStatus(request, scope) {
      const command = parseItemStatus(request);
      const { sellerId } = readerOf(scope.principal);
      const mutation: FulfilmentMutation = (order, ctx) => changeItemStatus(order, command, sellerId, ctx);
      return fulfil(pb.OrderService.method.updateOrderItemStatus, request, scope, command, mutation, withOrder);
    },

    addOrderItem(request, scope) {
      const command = parseAddItem(request, deps.pricing.currency);
      return mutate(pb.OrderService.method.addOrderItem, request, scope, command, (order, ctx) => addItem(order, command, ctx), withOrder);
    },

    updateOrderItemQuantity(request, scope) {
      const command = parseChangeQuantity(request);
      const mutation: OrderMutation = (order, ctx) =>
        editItem(order, command.itemId, () => order.changeQuantity(command.itemId, command.quantity, deps.pricing), ctx);
      return mutate(pb.OrderService.method.updateOrderItemQuantity, request, scope, command, mutation, withOrder);
    },

    removeOrderItem(request, scope) {
      const command = parseRemoveItem(request);
      const mutation: OrderMutation = (order, ctx) =>
        editItem(order, command.itemId, () => order.removeItem(command.itemId, deps.pricing), ctx);
      return mutate(pb.OrderService.method.removeOrderItem, request, scope, command, mutation, withOrder);
    },
  };
}

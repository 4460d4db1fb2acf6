import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import * as pb from "../../gen/shop/order/v1/order_pb.js";
import { withoutCardData } from "../payments/card-data.js";
import { actingFor, readerOf, type Principal } from "../platform/auth/principal.js";
import { keepVisible, refuseFilters, viewerOf } from "../platform/auth/visibility.js";
import type { ScopedImpl } from "../platform/rpc-chain.js";
import type { RpcScope } from "../platform/rpc-scope.js";
import { changeStatus, parseChangeStatus } from "./change-status.js";
import { addItem, parseAddItem, parseChangeQuantity, parseRemoveItem } from "./edit-items.js";
import { parseOrderId } from "./order-id.js";
import { parseItemStatus } from "./item-fulfilment.js";
import { listOrders, parseListOrders } from "./list-orders.js";
import { parsePay, parseReasonCommand, parseRetryEvents } from "./order-commands.js";
import type { OrderDeps } from "./order-deps.js";
import { orderToProto, orderStatusToProto, trackingToProto } from "./order-mapper.js";
import { orderEventLog, retryOrderEvents } from "./order-event-log.js";
import { sellerItems, sellerOrderToProto } from "./seller-view.js";
import { LIST_ORDERS_FILTERS, ORDER_VISIBILITY } from "./order-access.js";
import { mutateOrder, type MutationTarget, type OrderChange } from "./order-mutation.js";
import { payOrder } from "./order-payment.js";
import { assertOrderVisible, findOrder } from "./order-repository.js";
import type { OrderView } from "./order.js";
import { parsePlaceOrder } from "./place-order-input.js";
import { placeOrder } from "./place-order.js";
import { parseUpdateOrder } from "./update-order.js";
import { parseWatchOrder, watchOrder } from "./watch-order.js";

type Command = MutationTarget & { readonly requestId: string };

/**
 * The order as the caller may see it: narrowed to its own items for a seller, then every field the
 * visibility table (order-access.ts) does not grant the caller's role cleared.
 */
function present(principal: Principal) {
  const { sellerId } = readerOf(principal);
  const viewer = viewerOf(principal);
  return (order: OrderView) =>
    keepVisible(
      ORDER_VISIBILITY,
      pb.OrderSchema,
      sellerId === undefined ? orderToProto(order) : sellerOrderToProto(order, sellerId),
      viewer,
    );
}

/** Thin handlers: proto in, use case, proto out. Errors are mapped once, by the call chain (platform/rpc-chain.ts). */
export function orderService(deps: OrderDeps): ScopedImpl<typeof pb.OrderService> {
  const withOrder = (order: OrderView, principal: Principal) => ({ order: present(principal)(order) });

  /**
   * Every change to an existing order: idempotent by request id (per RPC, caller and order), then
   * one locked, versioned transaction in which the response is recorded. A stored response is
   * replayed only while the caller may still see the order (a deleted order stays visible to the
   * retry of its own deletion).
   */
  function mutation<Req extends DescMessage, Res extends DescMessage>(
    requestSchema: Req,
    responseSchema: Res,
    respond: (order: OrderView, principal: Principal) => MessageInitShape<Res>,
  ) {
    return (request: MessageShape<Req>, scope: RpcScope, command: Command, change: OrderChange) => {
      const { rpc } = scope;
      const target = { ...command, ...readerOf(scope.principal) };
      const includeDeleted = rpc === pb.OrderService.method.deleteOrder.name;
      const call = {
        rpc,
        caller: scope.principal.userId,
        parts: [command.orderId, command.requestId],
        requestSchema,
        request: withoutCardData(requestSchema, request),
        responseSchema,
        beforeReplay: () => assertOrderVisible(scope.em, command.orderId, { ...target, includeDeleted }),
      };
      return deps.idempotency.run(scope, call, (record) =>
        mutateOrder(scope, deps, target, change, (tx, changed) => record(tx, create(responseSchema, respond(changed, scope.principal)))),
      );
    };
  }

  // Who may call each of these is ORDER_ACCESS, checked by the call chain before any handler runs.
  const update = mutation(pb.UpdateOrderRequestSchema, pb.UpdateOrderResponseSchema, withOrder);
  const changeOrderStatus = mutation(pb.UpdateOrderStatusRequestSchema, pb.UpdateOrderStatusResponseSchema, withOrder);
  const pay = mutation(pb.PayOrderRequestSchema, pb.PayOrderResponseSchema, withOrder);
  const cancel = mutation(pb.CancelOrderRequestSchema, pb.CancelOrderResponseSchema, withOrder);
  const refund = mutation(pb.RefundOrderRequestSchema, pb.RefundOrderResponseSchema, withOrder);
  const remove = mutation(pb.DeleteOrderRequestSchema, pb.DeleteOrderResponseSchema, () => ({}));
  const changeItem = mutation(pb.UpdateOrderItemStatusRequestSchema, pb.UpdateOrderItemStatusResponseSchema, withOrder);
  const add = mutation(pb.AddOrderItemRequestSchema, pb.AddOrderItemResponseSchema, withOrder);
  const quantity = mutation(pb.UpdateOrderItemQuantityRequestSchema, pb.UpdateOrderItemQuantityResponseSchema, withOrder);
  const removeLine = mutation(pb.RemoveOrderItemRequestSchema, pb.RemoveOrderItemResponseSchema, withOrder);

  return {
    async createOrder(request, scope) {
      const userId = actingFor(scope.principal, request.userId, "order");
      const command = parsePlaceOrder({ ...request, userId }, deps.pricing.currency);
      const respond = (order: OrderView) => create(pb.CreateOrderResponseSchema, withOrder(order, scope.principal));
      const call = {
        rpc: "CreateOrder",
        caller: scope.principal.userId,
        parts: [command.userId, command.requestId],
        requestSchema: pb.CreateOrderRequestSchema,
        request: withoutCardData(pb.CreateOrderRequestSchema, request),
        responseSchema: pb.CreateOrderResponseSchema,
        beforeReplay: (stored: pb.CreateOrderResponse) => assertOrderVisible(scope.em, stored.order!.id, readerOf(scope.principal)),
      };
      return deps.idempotency.run(scope, call, (record) => placeOrder(command, scope, deps, (tx, order) => record(tx, respond(order))));
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
      for await (const update of watchOrder(scope.em, target, deps.changes, deps.watch, scope.signal)) {
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
      return update(request, scope, command, (order) => order.update(command));
    },

    updateOrderStatus(request, scope) {
      const command = parseChangeStatus(request);
      return changeOrderStatus(request, scope, command, (order, ctx) => changeStatus(order, command, ctx));
    },

    payOrder(request, scope) {
      const command = parsePay(request);
      const key = `pay:${command.orderId}:${command.requestId}`;
      return pay(request, scope, command, (order, ctx) => payOrder(order, command.method, key, ctx));
    },

    cancelOrder(request, scope) {
      const command = parseReasonCommand(request, { reasonRequired: true });
      return cancel(request, scope, command, (order, ctx) => ctx.run(order.cancel(command.reason, ctx.by)));
    },

    refundOrder(request, scope) {
      const command = parseReasonCommand(request, { reasonRequired: true });
      return refund(request, scope, command, (order, ctx) => ctx.run(order.refund(command.reason, ctx.by)));
    },

    deleteOrder(request, scope) {
      const command = parseReasonCommand(request, { reasonRequired: false });
      return remove(request, scope, command, (order, ctx) => order.delete(command.reason, ctx.by));
    },

    updateOrderItemStatus(request, scope) {
      const command = parseItemStatus(request);
      const { sellerId } = readerOf(scope.principal);
      return changeItem(request, scope, command, (order, ctx) =>
        ctx.run(order.changeItemStatus(command.itemId, command.status, ctx.by, sellerId)),
      );
    },

    addOrderItem(request, scope) {
      const command = parseAddItem(request, deps.pricing.currency);
      return add(request, scope, command, (order, ctx) => addItem(order, command, ctx));
    },

    updateOrderItemQuantity(request, scope) {
      const command = parseChangeQuantity(request);
      return quantity(request, scope, command, (order, ctx) =>
        ctx.run(order.changeQuantity(command.itemId, command.quantity, deps.pricing)),
      );
    },

    removeOrderItem(request, scope) {
      const command = parseRemoveItem(request);
      return removeLine(request, scope, command, (order, ctx) => ctx.run(order.removeItem(command.itemId, deps.pricing)));
    },
  };
}

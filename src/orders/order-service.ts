import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import * as pb from "../../gen/shop/order/v1/order_pb.js";
import { withoutCardData } from "../payments/card-data.js";
import { actingFor, isStaff, ownerOf, requireStaff } from "../platform/auth/principal.js";
import type { ScopedImpl } from "../platform/rpc-chain.js";
import type { RpcScope } from "../platform/rpc-scope.js";
import { changeStatus, parseChangeStatus } from "./change-status.js";
import { addItem, parseAddItem, parseChangeQuantity, parseRemoveItem } from "./edit-items.js";
import { parseOrderId } from "./order-id.js";
import { parseItemStatus } from "./item-fulfilment.js";
import { listOrders, parseListOrders } from "./list-orders.js";
import { parsePay, parseReasonCommand } from "./order-commands.js";
import type { OrderDeps } from "./order-deps.js";
import { orderToProto, trackingToProto } from "./order-mapper.js";
import { mutateOrder, type MutationTarget, type OrderChange } from "./order-mutation.js";
import { payOrder } from "./order-payment.js";
import { assertOrderVisible, findOrder } from "./order-repository.js";
import type { OrderView } from "./order.js";
import { parsePlaceOrder } from "./place-order-input.js";
import { placeOrder } from "./place-order.js";
import { parseUpdateOrder } from "./update-order.js";
import { parseWatchOrder, watchOrder } from "./watch-order.js";

type Command = MutationTarget & { readonly requestId: string };

/** Thin handlers: proto in, use case, proto out. Errors are mapped once, by the call chain (platform/rpc-chain.ts). */
export function orderService(deps: OrderDeps): ScopedImpl<typeof pb.OrderService> {
  const withOrder = (order: OrderView) => ({ order: orderToProto(order) });

  /**
   * Every change to an existing order: idempotent by request id (per RPC, caller and order), then
   * one locked, versioned transaction in which the response is recorded. A stored response is
   * replayed only while the caller may still see the order (a deleted order stays visible to the
   * retry of its own deletion).
   */
  function mutation<Req extends DescMessage, Res extends DescMessage>(
    requestSchema: Req,
    responseSchema: Res,
    respond: (order: OrderView) => MessageInitShape<Res>,
    allowed: "owner or staff" | "staff",
  ) {
    return (request: MessageShape<Req>, scope: RpcScope, command: Command, change: OrderChange) => {
      const { rpc } = scope;
      if (allowed === "staff") requireStaff(scope.principal, `call ${rpc}`);
      const target = { ...command, ownerId: ownerOf(scope.principal) };
      const includeDeleted = rpc === pb.OrderService.method.deleteOrder.name;
      const call = {
        rpc,
        caller: scope.principal.userId,
        parts: [command.orderId, command.requestId],
        requestSchema,
        request: withoutCardData(requestSchema, request),
        responseSchema,
        beforeReplay: () => assertOrderVisible(scope.em, command.orderId, { ownerId: target.ownerId, includeDeleted }),
      };
      return deps.idempotency.run(scope, call, (record) =>
        mutateOrder(scope, deps, target, change, (tx, changed) => record(tx, create(responseSchema, respond(changed)))),
      );
    };
  }

  // Customers pay for and cancel their own orders; everything else is for staff (admin, service).
  const update = mutation(pb.UpdateOrderRequestSchema, pb.UpdateOrderResponseSchema, withOrder, "staff");
  const changeOrderStatus = mutation(pb.UpdateOrderStatusRequestSchema, pb.UpdateOrderStatusResponseSchema, withOrder, "staff");
  const pay = mutation(pb.PayOrderRequestSchema, pb.PayOrderResponseSchema, withOrder, "owner or staff");
  const cancel = mutation(pb.CancelOrderRequestSchema, pb.CancelOrderResponseSchema, withOrder, "owner or staff");
  const refund = mutation(pb.RefundOrderRequestSchema, pb.RefundOrderResponseSchema, withOrder, "staff");
  const remove = mutation(pb.DeleteOrderRequestSchema, pb.DeleteOrderResponseSchema, () => ({}), "staff");
  const changeItem = mutation(pb.UpdateOrderItemStatusRequestSchema, pb.UpdateOrderItemStatusResponseSchema, withOrder, "staff");
  const add = mutation(pb.AddOrderItemRequestSchema, pb.AddOrderItemResponseSchema, withOrder, "staff");
  const quantity = mutation(pb.UpdateOrderItemQuantityRequestSchema, pb.UpdateOrderItemQuantityResponseSchema, withOrder, "staff");
  const removeLine = mutation(pb.RemoveOrderItemRequestSchema, pb.RemoveOrderItemResponseSchema, withOrder, "staff");

  return {
    async createOrder(request, scope) {
      const userId = actingFor(scope.principal, request.userId, "order");
      const command = parsePlaceOrder({ ...request, userId }, deps.pricing.currency);
      const respond = (order: OrderView) => create(pb.CreateOrderResponseSchema, withOrder(order));
      const call = {
        rpc: "CreateOrder",
        caller: scope.principal.userId,
        parts: [command.userId, command.requestId],
        requestSchema: pb.CreateOrderRequestSchema,
        request: withoutCardData(pb.CreateOrderRequestSchema, request),
        responseSchema: pb.CreateOrderResponseSchema,
        beforeReplay: (stored: pb.CreateOrderResponse) =>
          assertOrderVisible(scope.em, stored.order!.id, { ownerId: ownerOf(scope.principal) }),
      };
      return deps.idempotency.run(scope, call, (record) => placeOrder(command, scope, deps, (tx, order) => record(tx, respond(order))));
    },

    async getOrder(request, scope) {
      return withOrder(await findOrder(scope.em, parseOrderId(request.orderId), { ownerId: ownerOf(scope.principal) }));
    },

    async listOrders(request, scope) {
      const owner = ownerOf(scope.principal);
      // A customer sees only their own orders; asking for someone else's finds none.
      if (owner && request.userId && request.userId !== owner) return { orders: [], nextPageToken: "" };
      const page = await listOrders(scope.em, parseListOrders(owner ? { ...request, userId: owner } : request));
      return { orders: page.orders.map(orderToProto), nextPageToken: page.nextPageToken, totalSize: page.totalSize };
    },

    async *watchOrder(request, scope) {
      const target = { ...parseWatchOrder(request), ownerId: ownerOf(scope.principal) };
      for await (const update of watchOrder(scope.em, target, deps.changes, deps.watch, scope.signal)) {
        yield update.kind === "heartbeat" ? { heartbeat: true } : { order: orderToProto(update.order), eventType: update.eventType };
      }
    },

    async getOrderStatus(request, scope) {
      const ownerId = ownerOf(scope.principal);
      const order = await findOrder(scope.em, parseOrderId(request.orderId), { withHistory: true, ownerId });
      return trackingToProto(order, isStaff(scope.principal) ? "staff" : "owner");
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
      return changeItem(request, scope, command, (order, ctx) => ctx.run(order.changeItemStatus(command.itemId, command.status, ctx.by)));
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

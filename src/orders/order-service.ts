import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import * as pb from "../../gen/shop/order/v1/order_pb.js";
import { idempotent } from "../idempotency/idempotency.js";
import { scopeOf } from "../platform/rpc-scope.js";
import { cancelOrder, refundOrder } from "./cancel-order.js";
import { changeStatus, parseChangeStatus } from "./change-status.js";
import { deleteOrder } from "./delete-order.js";
import { addItem, changeQuantity, parseAddItem, parseChangeQuantity, parseRemoveItem, removeItem } from "./edit-items.js";
import { getOrder, parseOrderId } from "./get-order.js";
import { changeItemStatus, parseItemStatus } from "./item-fulfilment.js";
import { listOrders, parseListOrders } from "./list-orders.js";
import { parsePay, parseReasonCommand } from "./order-commands.js";
import type { OrderDeps } from "./order-deps.js";
import { orderToProto, trackingToProto } from "./order-mapper.js";
import { mutateOrder, type MutationTarget, type OrderChange } from "./order-mutation.js";
import { payOrder, paymentMethodFor } from "./order-payment.js";
import type { Order } from "./order.entity.js";
import { parsePlaceOrder } from "./place-order-input.js";
import { placeOrder } from "./place-order.js";
import { parseUpdateOrder, updateOrder } from "./update-order.js";
import { watchOrder } from "./watch-order.js";

type Command = MutationTarget & { readonly requestId: string };

/** Thin handlers: proto in, use case, proto out. Errors are mapped by the RPC scope. */
export function orderService(deps: OrderDeps): Partial<ServiceImpl<typeof pb.OrderService>> {
  const withOrder = (order: Order) => ({ order: orderToProto(order) });

  /**
   * Every change to an existing order: idempotent by request id (per RPC and order), then one
   * locked, versioned transaction in which the response is recorded.
   */
  function mutation<Req extends DescMessage, Res extends DescMessage>(
    requestSchema: Req,
    responseSchema: Res,
    respond: (order: Order) => MessageInitShape<Res>,
  ) {
    return (request: MessageShape<Req>, context: HandlerContext, command: Command, change: OrderChange) => {
      const scope = scopeOf(context);
      const rpc = context.method.name;
      const call = { key: `${rpc}:${command.orderId}:${command.requestId}`, requestSchema, request, responseSchema };
      return idempotent(scope.em, call, scope.signal, async (record) => {
        const order = await mutateOrder(scope, deps, command, change, (tx, changed) => record(tx, create(responseSchema, respond(changed))));
        return create(responseSchema, respond(order));
      });
    };
  }

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
    async createOrder(request, context) {
      const scope = scopeOf(context);
      const command = parsePlaceOrder(request, deps.pricing.currency, deps.clock.now());
      const respond = (order: Order) => create(pb.CreateOrderResponseSchema, withOrder(order));
      const call = {
        key: `CreateOrder:${command.userId}:${command.requestId}`,
        requestSchema: pb.CreateOrderRequestSchema,
        request,
        responseSchema: pb.CreateOrderResponseSchema,
      };
      return idempotent(scope.em, call, scope.signal, async (record) =>
        respond(await placeOrder(command, scope, deps, (tx, order) => record(tx, respond(order)))),
      );
    },

    async getOrder(request, context) {
      return withOrder(await getOrder(scopeOf(context).em, parseOrderId(request.orderId)));
    },

    async listOrders(request, context) {
      const page = await listOrders(scopeOf(context).em, parseListOrders(request));
      return { orders: page.orders.map(orderToProto), nextPageToken: page.nextPageToken, totalSize: page.totalSize };
    },

    async *watchOrder(request, context) {
      const scope = scopeOf(context);
      for await (const snapshot of watchOrder(scope.em, parseOrderId(request.orderId), deps.changes, scope.signal)) {
        yield { order: orderToProto(snapshot.order), eventType: snapshot.eventType };
      }
    },

    async getOrderStatus(request, context) {
      return trackingToProto(await getOrder(scopeOf(context).em, parseOrderId(request.orderId), { withHistory: true }));
    },

    updateOrder(request, context) {
      const command = parseUpdateOrder(request);
      return update(request, context, command, (order) => updateOrder(order, command));
    },

    updateOrderStatus(request, context) {
      const command = parseChangeStatus(request);
      return changeOrderStatus(request, context, command, (order, ctx) => changeStatus(order, command, ctx));
    },

    payOrder(request, context) {
      const command = parsePay(request, deps.clock.now());
      const key = `pay:${command.orderId}:${command.requestId}`;
      return pay(request, context, command, (order, ctx) => payOrder(order, paymentMethodFor(order, command.method), key, ctx));
    },

    cancelOrder(request, context) {
      const command = parseReasonCommand(request, { reasonRequired: true });
      return cancel(request, context, command, (order, ctx) => cancelOrder(order, command.reason, ctx));
    },

    refundOrder(request, context) {
      const command = parseReasonCommand(request, { reasonRequired: true });
      return refund(request, context, command, (order, ctx) => refundOrder(order, command.reason, ctx));
    },

    deleteOrder(request, context) {
      const command = parseReasonCommand(request, { reasonRequired: false });
      return remove(request, context, command, (order, ctx) => deleteOrder(order, command.reason, ctx));
    },

    updateOrderItemStatus(request, context) {
      const command = parseItemStatus(request);
      return changeItem(request, context, command, (order, ctx) => changeItemStatus(order, command, ctx));
    },

    addOrderItem(request, context) {
      const command = parseAddItem(request, deps.pricing.currency);
      return add(request, context, command, (order, ctx) => addItem(order, command, ctx));
    },

    updateOrderItemQuantity(request, context) {
      const command = parseChangeQuantity(request);
      return quantity(request, context, command, (order, ctx) => changeQuantity(order, command, ctx));
    },

    removeOrderItem(request, context) {
      const command = parseRemoveItem(request);
      return removeLine(request, context, command, (order, ctx) => removeItem(order, command, ctx));
    },
  };
}

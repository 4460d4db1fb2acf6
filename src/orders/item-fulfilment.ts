import { ItemStatus as ItemStatusProto, type UpdateOrderItemStatusRequest } from "../../gen/shop/order/v1/order_pb.js";
import { REQUEST_ID, UUID, Violations } from "../platform/validation.js";
import { orderIdField } from "./order-id.js";
import type { ItemStatus } from "./item-status.js";
import type { MutationTarget } from "./order-mutation.js";

export interface ItemStatusCommand extends MutationTarget {
  readonly requestId: string;
  readonly itemId: string;
  readonly status: Exclude<ItemStatus, "PENDING">;
}

export function parseItemStatus(request: UpdateOrderItemStatusRequest): ItemStatusCommand {
  const v = new Violations();
  const status = request.status === ItemStatusProto.UNSPECIFIED ? undefined : (ItemStatusProto[request.status] as ItemStatus | undefined);
  v.check(status !== undefined && status !== "PENDING", "status", "must be PROCESSING, SHIPPED, DELIVERED or CANCELLED");
  const command = {
    requestId: v.text("request_id", request.requestId, REQUEST_ID),
    orderId: orderIdField(v, request.orderId),
    expectedVersion: request.expectedVersion,
    itemId: v.text("item_id", request.itemId, UUID).toLowerCase(),
    status: status as Exclude<ItemStatus, "PENDING">,
  };
  v.throwIfAny();
  return command;
}

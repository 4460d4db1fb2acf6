import type { EntityManager } from "@mikro-orm/postgresql";
import { NotFoundError } from "../platform/domain-errors.js";
import { Order } from "./order.entity.js";

/** The order with its status history, for "where is my order". */
export async function getOrderWithHistory(em: EntityManager, orderId: string): Promise<Order> {
  const order = await em.findOne(Order, { id: orderId, deletedAt: null }, { populate: ["items", "history"] });
  if (!order) throw new NotFoundError("order", orderId);
  return order;
}

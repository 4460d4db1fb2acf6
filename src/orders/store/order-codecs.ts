import type { EntityManager } from "@mikro-orm/postgresql";
import { rowCodec } from "../../db/row-codec.js";
import type { OrderFields, OrderItemFields, StatusChangeFields } from "../domain/order-data.js";
import { OrderItemRow, OrderRow, StatusChangeRow } from "./order.entity.js";

/** The order tables' row codecs (columns from the entities' metadata), for the queries and the repository. */
export function orderCodecs(em: EntityManager) {
  return {
    orders: rowCodec<OrderFields>(em, OrderRow),
    items: rowCodec<OrderItemFields & { order?: string }>(em, OrderItemRow),
    history: rowCodec<StatusChangeFields & { order?: string }>(em, StatusChangeRow),
  };
}

import type { EntityManager } from "@mikro-orm/postgresql";
import { rowCodec } from "../../db/row-codec.js";
import type { CartFields, CartLineFields } from "../domain/cart-data.js";
import { CartItemRow, CartRow } from "./cart.entity.js";

/** The cart tables' row codecs (columns from the entities' metadata), for the queries and the repository. */
export function cartCodecs(em: EntityManager) {
  return { carts: rowCodec<CartFields>(em, CartRow), lines: rowCodec<CartLineFields & { id?: bigint; cart?: string }>(em, CartItemRow) };
}

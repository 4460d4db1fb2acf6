import { create, getOption, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { CartEventSchema, type CartLineSchema } from "../../../gen/shop/cart/events/v1/cart_events_pb.js";
import { event_type } from "../../../gen/shop/order/events/v1/order_events_pb.js";
import { money } from "../../money/money.js";
import { toMoneyProto } from "../../money/money-proto.js";
import { GUEST_PREFIX } from "../../platform/auth/capabilities.js";
import { newId } from "../../platform/clock.js";
import type { EventRecord } from "../../outbox/outbox-writer.js";
import type { CartLineFields } from "../domain/cart-data.js";

/*
 * The outbox adapter of carts: their events, written as the contract shop.cart.events.v1 says,
 * to the cart events topic. The only place cart events meet protobuf.
 */

export type CartEventPayload = NonNullable<MessageInitShape<typeof CartEventSchema>["payload"]>;

const EVENT_TYPES = new Map(
  CartEventSchema.oneofs[0]!.fields.map((field) => {
    const type = field.message ? getOption(field.message, event_type) : "";
    if (!type) throw new Error(`${field.message?.typeName ?? field.name} declares no event_type`);
    return [field.localName, type];
  }),
);

/** Which cart an event is about, and where it goes. */
export interface CartEventTarget {
  /** The cart's key: a user id, or "guest:<cart id>". */
  readonly key: string;
  /** The cart's version after the change. */
  readonly version: number;
  readonly currency: string;
  readonly topic: string;
}

export function cartLineOf(line: CartLineFields, currency: string): MessageInitShape<typeof CartLineSchema> {
  return {
    productId: line.productId,
    variantId: line.variantId,
    sku: line.sku,
    name: line.name,
    quantity: line.quantity,
    unitPrice: toMoneyProto(money(currency, line.unitPriceMinor)),
    sellerId: line.sellerId,
  };
}

export function cartEvent(target: CartEventTarget, payload: CartEventPayload, at: Date): EventRecord {
  const guest = target.key.startsWith(GUEST_PREFIX);
  const cartId = guest ? target.key.slice(GUEST_PREFIX.length) : target.key;
  const eventId = newId();
  const message = create(CartEventSchema, {
    eventId,
    occurTime: timestampFromDate(at),
    cartId,
    userId: guest ? "" : target.key,
    guest,
    cartVersion: BigInt(target.version),
    payload,
  });
  return {
    eventId,
    topic: target.topic,
    key: cartId,
    type: EVENT_TYPES.get(payload.case!)!,
    payload: toBinary(CartEventSchema, message),
    occurredAt: at,
  };
}

const keyOf = (line: CartLineFields) => `${line.productId}\u001f${line.variantId}`;

/** What a change did to the lines: CartItemAdded for each line new or raised, CartItemRemoved for each lowered or gone. */
export function lineChanges(before: readonly CartLineFields[], after: readonly CartLineFields[], currency: string): CartEventPayload[] {
  const was = new Map(before.map((line) => [keyOf(line), line.quantity]));
  const is = new Map(after.map((line) => [keyOf(line), line.quantity]));
  const payloads: CartEventPayload[] = [];
  for (const line of after) {
    const added = line.quantity - (was.get(keyOf(line)) ?? 0);
    if (added > 0) payloads.push({ case: "cartItemAdded", value: { line: cartLineOf(line, currency), addedQuantity: added } });
  }
  for (const line of before) {
    const remaining = is.get(keyOf(line)) ?? 0;
    if (remaining < line.quantity) {
      payloads.push({
        case: "cartItemRemoved",
        value: {
          productId: line.productId,
          variantId: line.variantId,
          removedQuantity: line.quantity - remaining,
          remainingQuantity: remaining,
        },
      });
    }
  }
  return payloads;
}

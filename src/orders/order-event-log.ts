import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ListOrderEventsResponseSchema } from "../../gen/shop/order/v1/order_pb.js";
import { eventsOf } from "../outbox/outbox-log.js";
import { assertOrderVisible } from "./order-repository.js";

/**
 * The events written for an order, with whether the relay has published them yet; older
 * published ones are in Kafka only. Deleted orders are included: this is the audit view.
 */
export async function orderEventLog(em: EntityManager, orderId: string): Promise<MessageInitShape<typeof ListOrderEventsResponseSchema>> {
  await assertOrderVisible(em, orderId, { includeDeleted: true });
  const events = await eventsOf(em, orderId);
  return {
    events: events.map((event) => ({
      eventId: event.eventId,
      type: event.type,
      topic: event.topic,
      occurTime: timestampFromDate(event.occurredAt),
      published: event.publishedAt !== null,
      publishTime: event.publishedAt ? timestampFromDate(event.publishedAt) : undefined,
      attempts: event.attempts,
    })),
  };
}

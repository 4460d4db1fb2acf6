import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { EntityManager } from "@mikro-orm/postgresql";
import type {
  ListOrderEventsResponseSchema,
  OrderEventRecordSchema,
  RetryOrderEventsResponseSchema,
} from "../../gen/shop/order/v1/order_pb.js";
import { eventsOf, retryParked } from "../outbox/outbox-log.js";
import { assertOrderVisible } from "./store/order-queries.js";

async function eventRecords(em: EntityManager, orderId: string): Promise<MessageInitShape<typeof OrderEventRecordSchema>[]> {
  const events = await eventsOf(em, orderId);
  return events.map((event) => ({
    eventId: event.eventId,
    type: event.type,
    topic: event.topic,
    occurTime: timestampFromDate(event.occurredAt),
    published: event.publishedAt !== null,
    publishTime: event.publishedAt ? timestampFromDate(event.publishedAt) : undefined,
    attempts: event.attempts,
    parked: event.parked,
    lastError: event.lastError,
    nextAttemptTime: event.nextAttemptAt ? timestampFromDate(event.nextAttemptAt) : undefined,
  }));
}

/**
 * The events written for an order, with whether the relay has published them yet, or why the
 * broker refused them; older published ones are in Kafka only. Deleted orders are included: this
 * is the audit view.
 */
export async function orderEventLog(em: EntityManager, orderId: string): Promise<MessageInitShape<typeof ListOrderEventsResponseSchema>> {
  await assertOrderVisible(em, orderId, { includeDeleted: true });
  return { events: await eventRecords(em, orderId) };
}

/** Releases the order's parked events for the relay (RetryOrderEvents) and answers with the log after it. */
export async function retryOrderEvents(
  em: EntityManager,
  orderId: string,
): Promise<MessageInitShape<typeof RetryOrderEventsResponseSchema>> {
  await assertOrderVisible(em, orderId, { includeDeleted: true });
  const retriedCount = await retryParked(em, orderId);
  return { retriedCount, events: await eventRecords(em, orderId) };
}

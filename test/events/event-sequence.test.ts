import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderEventSchema } from "../../gen/shop/order/events/v1/order_events_pb.js";
import { migrate, openOrm } from "../../src/db/orm.js";
import { query } from "../support/db.js";
import { freshDatabase } from "../support/test-app.js";

const TOPIC = "orders.v1";

/** One outbox row of `orderId`, written as the service writes them (the trigger adds the sequence). */
async function insertEvent(db: pg.Client, orderId: string): Promise<void> {
  const payload = toBinary(OrderEventSchema, create(OrderEventSchema, { eventId: randomUUID(), orderId }));
  await db.query(
    `insert into outbox_events (event_id, topic, aggregate_id, event_type, payload, occurred_at, next_attempt_at)
     values ($1, $2, $3, 'shop.order.v1.OrderUpdated', $4, now(), now())`,
    [randomUUID(), TOPIC, orderId, Buffer.from(payload)],
  );
}

async function stream(url: string, orderId: string) {
  const rows = await query<{ id: string; sequence: string; payload: Buffer }>(
    url,
    `select id, sequence, payload from outbox_events where aggregate_id = $1 order by id`,
    [orderId],
  );
  return rows.map((row) => ({ sequence: Number(row.sequence), inPayload: Number(fromBinary(OrderEventSchema, row.payload).sequence) }));
}

/**
 * The per-order sequence is assigned by the database as the event is written, so every writer gets
 * it and a rolled-back change takes none; these pin the properties consumers rely on.
 */
describe("event sequences in the outbox", () => {
  let url: string;
  const clients: pg.Client[] = [];
  const connect = async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    url = await freshDatabase();
    const orm = await openOrm({ url, poolMax: 1, log: pino({ level: "silent" }) });
    await migrate(orm, url, pino({ level: "silent" }));
    await orm.close();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end()));
  });

  it("when a change that wrote events rolls back, then the next event takes the sequence it would have had: no gap", async () => {
    const orderId = randomUUID();
    const db = await connect();
    await insertEvent(db, orderId);
    await db.query("begin");
    await insertEvent(db, orderId);
    await insertEvent(db, orderId);
    await db.query("rollback");
    await insertEvent(db, orderId);
    expect(await stream(url, orderId)).toEqual([
      { sequence: 1, inPayload: 1 },
      { sequence: 2, inPayload: 2 },
    ]);
  });

  it("when another transaction writes the order's events while one is open, then id order is sequence order, so the relay publishes in sequence", async () => {
    const orderId = randomUUID();
    const [first, second] = [await connect(), await connect()];
    await first.query("begin");
    await insertEvent(first, orderId);
    await second.query("begin");
    const waiting = insertEvent(second, orderId);
    await sleep(200); // the second now waits for the order's counter
    await insertEvent(first, orderId);
    await first.query("commit");
    await waiting;
    await second.query("commit");
    expect((await stream(url, orderId)).map((e) => e.sequence)).toEqual([1, 2, 3]);
  });

  it("when twenty transactions write one order's events at once, then the sequences are 1 to 20, each once", async () => {
    const orderId = randomUUID();
    const writers = await Promise.all(Array.from({ length: 20 }, connect));
    await Promise.all(
      writers.map(async (db, i) => {
        await db.query("begin");
        await insertEvent(db, orderId);
        await sleep((i * 7) % 30);
        await db.query("commit");
      }),
    );
    const events = await stream(url, orderId);
    expect(events.map((e) => e.sequence)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(events.every((e) => e.inPayload === e.sequence)).toBe(true);
  });

  it("when sequences pass 127 and 16,383, then the payload's varint still decodes to the column's value", async () => {
    const orderId = randomUUID();
    await query(url, `insert into event_sequences (topic, aggregate_id, last_sequence) values ($1, $2, 16382)`, [TOPIC, orderId]);
    const db = await connect();
    await insertEvent(db, orderId);
    await insertEvent(db, orderId);
    expect(await stream(url, orderId)).toEqual([
      { sequence: 16383, inPayload: 16383 },
      { sequence: 16384, inPayload: 16384 },
    ]);
  });
});

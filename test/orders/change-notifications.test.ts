import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderNotifications } from "../../src/orders/store/order-notifications.js";
import { migrate, openOrm } from "../../src/db/orm.js";
import { PgListener } from "../../src/db/pg-listener.js";
import { query } from "../support/db.js";
import { freshDatabase } from "../support/test-app.js";

describe("order change notifications, fanned out by order id", () => {
  let databaseUrl: string;
  let listener: PgListener;
  let changes: OrderNotifications;
  beforeAll(async () => {
    databaseUrl = await freshDatabase();
    const orm = await openOrm({ url: databaseUrl, poolMax: 1, log: pino({ level: "silent" }) });
    await migrate(orm, databaseUrl, pino({ level: "silent" }));
    await orm.close();
    listener = new PgListener(databaseUrl, "outbox_events", pino({ level: "silent" }));
    await listener.start();
    changes = new OrderNotifications(listener);
  });
  afterAll(() => listener?.close());

  it("when one order changes, then only its watchers hear it, with the event type; an unsubscribed watcher hears nothing", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const heard: string[] = [];
    const stopA = changes.watch(a, (type) => heard.push(`a1 ${type}`));
    changes.watch(a, (type) => heard.push(`a2 ${type}`));
    changes.watch(b, (type) => heard.push(`b ${type}`));
    await query(databaseUrl, `select pg_notify('outbox_events', $1)`, [`${a} shop.order.v1.OrderPaid`]);
    await expect.poll(() => heard.length).toBe(2);
    expect(heard.sort()).toEqual(["a1 shop.order.v1.OrderPaid", "a2 shop.order.v1.OrderPaid"]);

    stopA();
    await query(databaseUrl, `select pg_notify('outbox_events', $1)`, [`${a} shop.order.v1.OrderShipped`]);
    await query(databaseUrl, `select pg_notify('outbox_events', $1)`, [`${b} shop.order.v1.OrderCancelled`]);
    await expect.poll(() => heard.length).toBe(4);
    expect(heard.slice(2).sort()).toEqual(["a2 shop.order.v1.OrderShipped", "b shop.order.v1.OrderCancelled"]);
  });

  it("when one statement writes several events of two orders, then each order is announced once, with its last event type", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const heard: string[] = [];
    listener.subscribe((payload) => heard.push(payload));
    const row = (order: string, type: string) => [randomUUID(), order, `shop.order.v1.${type}`];
    await query(
      databaseUrl,
      `insert into outbox_events (event_id, topic, aggregate_id, event_type, payload, occurred_at, next_attempt_at)
       select e[1]::uuid, 'orders', e[2], e[3], '\\x'::bytea, now(), now() from (values ($1::text[]), ($2), ($3), ($4)) as v(e)`,
      [row(a, "OrderCreated"), row(b, "OrderCreated"), row(a, "OrderItemAllocated"), row(a, "OrderPaid")],
    );
    // Notifications arrive in commit order: once the marker is heard, everything the insert announced is.
    await query(databaseUrl, `select pg_notify('outbox_events', 'marker')`);
    await expect.poll(() => heard.at(-1)).toBe("marker");
    expect(heard.filter((payload) => payload !== "marker").sort()).toEqual(
      [`${a} shop.order.v1.OrderPaid`, `${b} shop.order.v1.OrderCreated`].sort(),
    );
  });
});

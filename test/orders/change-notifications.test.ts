import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderNotifications } from "../../src/orders/store/order-notifications.js";
import { PgListener } from "../../src/db/pg-listener.js";
import { query } from "../support/db.js";
import { freshDatabase } from "../support/test-app.js";

describe("order change notifications, fanned out by order id", () => {
  let databaseUrl: string;
  let listener: PgListener;
  let changes: OrderNotifications;
  beforeAll(async () => {
    databaseUrl = await freshDatabase();
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
});

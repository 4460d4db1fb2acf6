import { beforeAll, describe, expect, it } from "vitest";
import { READY_ROWS } from "../../src/outbox/outbox-relay.js";
import { query } from "../support/db.js";
import { startTestApp } from "../support/test-app.js";

const HELD = 2_000;
const READY = 20;

interface PlanNode {
  "Node Type": string;
  "Join Type"?: string;
  Filter?: string;
  Plans?: PlanNode[];
}
const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];

/**
 * The relay's claim after a wave of refusals: thousands of aggregates parked, their later rows
 * held behind them. Compared with a list of held aggregates row by row, each claim cost
 * PostgreSQL 0.4-0.7 s of a core (the bench, 2026-12-06, 17.5k rows behind 3.5k parked ones).
 */
describe("the relay's claim with thousands of aggregates held back", () => {
  let databaseUrl: string;
  beforeAll(async () => {
    const app = await startTestApp();
    databaseUrl = app.databaseUrl;
    await app.stop();
    const insert = (aggregate: string, n: number, row: string) =>
      query(
        databaseUrl,
        `insert into outbox_events (event_id, topic, aggregate_id, event_type, payload, occurred_at, next_attempt_at, attempts, parked_at)
         select gen_random_uuid(), 'orders.claim', ${aggregate}, 'shop.order.v1.OrderStatusChanged', '\\x', now(), now(), ${row}
         from generate_series(1, ${n}) as n`,
      );
    // Each held aggregate: its first row parked, three later rows waiting behind it.
    await insert(`'held-' || n`, HELD, `3, now()`);
    for (let later = 0; later < 3; later++) await insert(`'held-' || n`, HELD, `0, null`);
    await insert(`'ready-' || n`, READY, `0, null`);
    await query(databaseUrl, `analyze outbox_events`);
  }, 60_000);

  const claim = READY_ROWS.replace("limit ?", "limit 100");

  it("when it claims, then it returns only the rows of aggregates not held back", async () => {
    const rows = await query<{ aggregate_id: string }>(databaseUrl, claim);
    expect(rows.map((row) => row.aggregate_id).sort()).toEqual(Array.from({ length: READY }, (_, n) => `ready-${n + 1}`).sort());
  });

  it("when it claims, then PostgreSQL anti-joins on the held aggregates rather than comparing each row with a list of them", async () => {
    const [
      {
        "QUERY PLAN": [{ Plan }],
      },
    ] = (await query(databaseUrl, `explain (format json) ${claim}`)) as unknown as [{ "QUERY PLAN": [{ Plan: PlanNode }] }];
    const nodes = nodesOf(Plan);
    expect(nodes.filter((node) => node.Filter?.includes("ALL")).map((node) => node.Filter)).toEqual([]);
    expect(nodes.some((node) => node["Join Type"] === "Anti")).toBe(true);
  });
});

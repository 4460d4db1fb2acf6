import { create } from "@bufbuild/protobuf";
import type { EntityManager, MikroORM } from "@mikro-orm/postgresql";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetOrderRequestSchema, GetOrderResponseSchema } from "../../gen/shop/order/v1/order_pb.js";
import { openOrm } from "../../src/db/orm.js";
import { query } from "../../src/db/sql.js";
import { Idempotency } from "../../src/idempotency/idempotency.js";
import { freshDatabase } from "../support/test-app.js";

const setting = async (em: EntityManager) =>
  (await query<{ value: string }>(em, `select current_setting('synchronous_commit') as value`))[0]!.value;

/**
 * The idempotency claim commits without waiting for the disk; nothing else may. One connection
 * in the pool, so the work and the next statement run where the claim ran.
 */
describe("the idempotency claim's commit that does not wait for the disk", () => {
  let orm: MikroORM;
  const idempotency = new Idempotency(new Uint8Array(32));
  const call = (requestId: string) => ({
    rpc: "GetOrder",
    caller: "user-durable",
    parts: [requestId],
    requestSchema: GetOrderRequestSchema,
    request: create(GetOrderRequestSchema, { orderId: requestId }),
    responseSchema: GetOrderResponseSchema,
    beforeReplay: async () => undefined,
  });
  const scope = () => ({ em: orm.em.fork(), signal: new AbortController().signal, deadline: Date.now() + 5_000 });

  beforeAll(async () => {
    orm = await openOrm({ url: await freshDatabase(), poolMax: 1, log: pino({ level: "silent" }) });
    await orm.migrator.up();
  });
  afterAll(async () => {
    await orm?.close();
  });

  it("when a request is claimed, then the work's own commit and the connection's next transaction still wait for the disk", async () => {
    expect(await setting(orm.em.fork())).toBe("on");
    let inWork = "";
    await idempotency.run(scope(), call("req-1"), (record) =>
      orm.em.fork().transactional(async (tx) => {
        inWork = await setting(tx);
        await record(tx, create(GetOrderResponseSchema, {}));
      }),
    );
    expect(inWork).toBe("on");
    expect(await setting(orm.em.fork())).toBe("on");
    const [row] = await query<{ done: boolean }>(orm.em.fork(), `select completed_at is not null as done from idempotency_records`);
    expect(row?.done).toBe(true);
  });

  it("when a claim is attempted inside a transaction, then it refuses rather than make that transaction's commit not wait", async () => {
    const attempt = orm.em.fork().transactional((tx) => idempotency.run({ ...scope(), em: tx }, call("req-2"), async () => undefined));
    await expect(attempt).rejects.toThrow(/must not run inside the work's transaction/);
  });
});

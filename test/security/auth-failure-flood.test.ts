import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { token } from "../support/tokens.js";

/** 90 s in the long suite: past the minute the verified-token cache keeps a token, where the old limit broke. */
const FLOOD_MS = Number(process.env.AUTH_FLOOD_SECONDS ?? 90) * 1000;

describe("attack: a flood without tokens from the one address every caller behind an ingress shares (long)", () => {
  let app: TestApp;
  beforeAll(async () => {
    // The default limit: 60 failures a minute per address.
    app = await startTestApp({ AUTH_FAILURES_PER_MINUTE: "60" });
  });
  afterAll(() => app?.stop());

  it(
    "when 10 calls a second without a token run for 90 s, then fresh valid tokens every 5 s and a token verified before the flood are all answered, and the flood is limited",
    async () => {
      const early = app.connect(OrderService, await token("verified-before-the-flood"));
      await early.listOrders({});
      const flood: Record<string, number> = {};
      const good: { at: number; user: string; code: string }[] = [];
      let running = true;
      const flooding = (async () => {
        const anonymous = app.connect(OrderService, "");
        while (running) {
          const code = await anonymous.listOrders({}).then(
            () => "OK",
            (error: unknown) => Code[ConnectError.from(error).code],
          );
          flood[code] = (flood[code] ?? 0) + 1;
          await sleep(100);
        }
      })();
      const started = Date.now();
      for (let i = 0; Date.now() - started < FLOOD_MS; i++) {
        await sleep(5_000);
        const user = `fresh-${i}`;
        for (const [name, client] of [
          [user, app.connect(OrderService, await token(user))],
          ["verified-before-the-flood", early],
        ] as const) {
          const code = await client.listOrders({}).then(
            () => "OK",
            (error: unknown) => Code[ConnectError.from(error).code],
          );
          good.push({ at: Math.round((Date.now() - started) / 1000), user: name, code });
        }
      }
      running = false;
      await flooding;
      console.log(`flood answers ${JSON.stringify(flood)}; ${good.length} good calls`);
      expect(good.filter((call) => call.code !== "OK")).toEqual([]);
      expect(good.length).toBeGreaterThanOrEqual(2 * Math.floor(FLOOD_MS / 5_000) - 2);
      expect(flood.ResourceExhausted ?? 0).toBeGreaterThan((flood.Unauthenticated ?? 0) * 2);
      expect(flood.OK).toBeUndefined();
    },
    FLOOD_MS + 60_000,
  );
});

import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { failure, reasonOf } from "../support/errors.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { token } from "../support/tokens.js";

const LIMIT = 5;

/** Calls without a token from the address the service sees, until the failure limit is spent. */
async function failFrom(app: TestApp, times: number, headers: Record<string, string> = {}) {
  const codes: Code[] = [];
  for (let i = 0; i < times; i++) codes.push((await failure(app.connect(OrderService, "").listOrders({}, { headers }))).code);
  return codes;
}

describe("attack: failing authentication from a shared address to lock out the good callers behind it", () => {
  let direct: TestApp;
  beforeAll(async () => {
    direct = await startTestApp({ AUTH_FAILURES_PER_MINUTE: String(LIMIT) });
  });
  afterAll(() => direct?.stop());

  it("when an address has spent its failures, then a valid token never seen before is answered, and the failing calls stay limited", async () => {
    expect(await failFrom(direct, LIMIT)).toEqual(Array(LIMIT).fill(Code.Unauthenticated));
    const limited = await failure(direct.connect(OrderService, "").listOrders({}));
    expect(limited.code).toBe(Code.ResourceExhausted);
    expect(reasonOf(limited)).toBe("AUTHENTICATION_FAILURES");
    for (const user of ["first-visit-1", "first-visit-2"]) {
      await expect(direct.connect(OrderService, await token(user)).listOrders({})).resolves.toBeDefined();
    }
    expect((await failure(direct.connect(OrderService, "not.a.jwt").listOrders({}))).code).toBe(Code.ResourceExhausted);
  });

  it("when the caller rotates X-Forwarded-For and no proxy is trusted, then the header is ignored and it stays limited", async () => {
    const codes = await failFrom(direct, 3, { "x-forwarded-for": "203.0.113.99" });
    expect(codes).toEqual(Array(3).fill(Code.ResourceExhausted));
  });
});

describe("behind trusted proxies (TRUSTED_PROXIES), the failure limit is per forwarded client", () => {
  let proxied: TestApp;
  beforeAll(async () => {
    proxied = await startTestApp({ AUTH_FAILURES_PER_MINUTE: String(LIMIT), TRUSTED_PROXIES: "loopback" });
  });
  afterAll(() => proxied?.stop());

  it("when one client behind the ingress spends its failures, then another client behind it still gets UNAUTHENTICATED, not RESOURCE_EXHAUSTED", async () => {
    const mallory = { "x-forwarded-for": "203.0.113.5" };
    const alice = { "x-forwarded-for": "198.51.100.7" };
    await failFrom(proxied, LIMIT, mallory);
    expect(await failFrom(proxied, 1, mallory)).toEqual([Code.ResourceExhausted]);
    expect(await failFrom(proxied, 1, alice)).toEqual([Code.Unauthenticated]);
  });

  it("when a client puts its own X-Forwarded-For in front, then the address the trusted proxy appended is the one charged", async () => {
    const forged = (address: string) => ({ "x-forwarded-for": `${address}, 192.0.2.44` });
    await failFrom(proxied, LIMIT, forged("10.1.1.1"));
    expect(await failFrom(proxied, 1, forged("10.2.2.2"))).toEqual([Code.ResourceExhausted]);
  });
});

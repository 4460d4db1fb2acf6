import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/test-app.js";

const run = promisify(execFile);
const DIR = "deploy/kubernetes/base/alerts";
const RULES = `${DIR}/order-service.rules.yaml`;
const TESTS = `${DIR}/order-service.rules.test.yaml`;

type Rule = { alert?: string; record?: string; expr: string; annotations?: Record<string, string> };
type Case = { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] };

const rules = (parse(readFileSync(RULES, "utf8")) as { groups: { rules: Rule[] }[] }).groups.flatMap((group) => group.rules);
const alerts = rules.filter((rule) => rule.alert);
const cases = (parse(readFileSync(TESTS, "utf8")) as { tests: Case[] }).tests.flatMap((test) => test.alert_rule_test ?? []);

describe("alerting rules as code (promtool, Debian's prometheus package)", () => {
  it("promtool checks the rules and runs their unit tests, and both pass", async () => {
    const checked = await run("promtool", ["check", "rules", RULES]);
    expect(checked.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    const tested = await run("promtool", ["test", "rules", TESTS]);
    expect(tested.stdout).toContain("SUCCESS");
  });

  it("every alert has a case where it fires and one where it does not", () => {
    const missing = alerts.flatMap(({ alert }) => {
      const mine = cases.filter((c) => c.alertname === alert);
      return [
        ...(mine.some((c) => c.exp_alerts.length > 0) ? [] : [`${alert}: no firing case`]),
        ...(mine.some((c) => c.exp_alerts.length === 0) ? [] : [`${alert}: no case where it stays quiet`]),
      ];
    });
    expect(missing).toEqual([]);
  });

  it("every alert links its runbook, a section of docs/operations.md named after it", () => {
    const operations = readFileSync("docs/operations.md", "utf8");
    for (const { alert, annotations } of alerts) {
      expect(annotations?.runbook, alert).toBe(`docs/operations.md#${alert!.toLowerCase()}`);
      expect(operations, alert).toMatch(new RegExp(`^#### ${alert}$`, "m"));
    }
  });

  describe("against the service's own /metrics", () => {
    let app: TestApp;
    // The Debezium alerts read what the service exports with OUTBOX_PUBLISHER=debezium.
    let cdc: TestApp;
    beforeAll(async () => {
      app = await startTestApp();
      cdc = await startTestApp({ OUTBOX_PUBLISHER: "debezium" });
    });
    afterAll(async () => {
      await app?.stop();
      await cdc?.stop();
    });

    it("every series the rules read is one the service exports", async () => {
      const scrape = async (of: TestApp) => (await fetch(`http://127.0.0.1:${of.httpPort}/metrics`)).text();
      const exported = (await scrape(app)) + (await scrape(cdc));
      const names = new Set(rules.flatMap((rule) => [...rule.expr.matchAll(/\b([a-z_]+)\{job="order-service"/g)].map((m) => m[1]!)));
      expect(names.size).toBeGreaterThanOrEqual(8);
      const known = (name: string) => new RegExp(`^# TYPE ${name.replace(/_(count|bucket|sum)$/, "")} `, "m").test(exported);
      expect([...names].filter((name) => !known(name))).toEqual([]);
    });
  });
});

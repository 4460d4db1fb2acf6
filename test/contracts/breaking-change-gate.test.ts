import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
const REPO = resolve(".");

/** A copy of the contracts (buf.yaml, proto/) with `change` applied to one file, and the gate's verdict on it. */
async function gateOn(file: string, change: (text: string) => string) {
  const dir = mkdtempSync(join(tmpdir(), "contracts-"));
  dirs.push(dir);
  cpSync(join(REPO, "proto"), join(dir, "proto"), { recursive: true });
  cpSync(join(REPO, "buf.yaml"), join(dir, "buf.yaml"));
  symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"));
  const path = join(dir, "proto", file);
  const before = readFileSync(path, "utf8");
  const after = change(before);
  expect(after, `the change to ${file} did not apply`).not.toBe(before);
  writeFileSync(path, after);
  return run("bash", [join(REPO, "scripts/contracts.sh"), "breaking", dir]).then(
    ({ stdout }) => ({ passed: true, output: stdout }),
    (error: { stdout: string; stderr: string }) => ({ passed: false, output: `${error.stdout}${error.stderr}` }),
  );
}

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe("the breaking-change gate against contracts/baseline.binpb", () => {
  it("when the contracts are as committed, then the gate passes", async () => {
    const { stdout } = await run("bash", ["scripts/contracts.sh", "breaking"]);
    expect(stdout).toContain("no breaking change against the baseline");
  });

  it("when an API field is renumbered, then the gate fails and names it", async () => {
    const verdict = await gateOn("shop/order/v1/order.proto", (text) =>
      text.replace("string order_number = 2 [", "string order_number = 99 ["),
    );
    expect(verdict.passed).toBe(false);
    expect(verdict.output).toContain('Previously present field "2" with name "order_number" on message "Order" was deleted');
  });

  it("when an API field is removed, then the gate fails", async () => {
    const verdict = await gateOn("shop/cart/v1/cart.proto", (text) => text.replace(/\n\s+int32 item_count = 7[^\n]*/, ""));
    expect(verdict.passed).toBe(false);
    expect(verdict.output).toContain('"item_count"');
  });

  it("when an API field is renamed, then the gate fails (its JSON name changes: WIRE_JSON)", async () => {
    const verdict = await gateOn("shop/order/v1/order.proto", (text) =>
      text.replace("string tracking_number = 14;", "string tracking_code = 14;"),
    );
    expect(verdict.passed).toBe(false);
    expect(verdict.output).toMatch(/tracking_number/);
  });

  it("when an event message is renamed, then the gate fails: the events are held to FILE, consumers' generated code would break", async () => {
    const verdict = await gateOn("shop/order/events/v1/order_events.proto", (text) => text.replaceAll("OrderDelivered", "OrderArrived"));
    expect(verdict.passed).toBe(false);
    expect(verdict.output).toContain("OrderDelivered");
  });

  it("when an optional field is added, then the gate passes", async () => {
    const verdict = await gateOn("shop/order/events/v1/order_events.proto", (text) =>
      text.replace("  string reason = 1;\n}\n", "  string reason = 1;\n  string note = 2;\n}\n"),
    );
    expect(verdict).toMatchObject({ passed: true });
  });
});

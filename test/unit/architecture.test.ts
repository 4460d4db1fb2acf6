import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/** Rules of the layout that no compiler checks (docs/architecture.md). */
const FEATURES = ["orders", "cart", "catalog", "payments", "reservations", "idempotency", "outbox", "dev", "web"];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
  );
}

const importsOf = (file: string) => [...readFileSync(file, "utf8").matchAll(/from "([^"]+)"/g)].map((m) => m[1]!);

describe("architecture", () => {
  it("platform/ imports no feature: features plug into it (error details, services), never the other way", () => {
    const offending = sources("src/platform").flatMap((file) =>
      importsOf(file)
        .filter((path) => path.startsWith("."))
        .map((path) => relative("src", join(file, "..", path)))
        .filter((target) => FEATURES.includes(target.split("/")[0]!))
        .map((target) => `${file} -> ${target}`),
    );
    expect(offending).toEqual([]);
  });
});

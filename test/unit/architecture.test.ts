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

  /** Each table has one owner: the only file outside migrations whose SQL names it. */
  const OWNERS: Record<string, string[]> = {
    orders: ["src/orders/order-repository.ts"],
    order_items: ["src/orders/order-repository.ts"],
    order_status_history: ["src/orders/order-repository.ts"],
    carts: ["src/cart/cart-store.ts"],
    cart_items: ["src/cart/cart-store.ts"],
    outbox_events: ["src/outbox/outbox-relay.ts", "src/outbox/outbox-log.ts"],
    idempotency_records: ["src/idempotency/idempotency.ts", "src/idempotency/idempotency-purge.ts"],
    pending_reservations: ["src/reservations/pending-reservations.ts"],
    catalog_products: ["src/catalog/reference/reference-inventory.ts"],
    catalog_reservations: ["src/catalog/reference/reference-inventory.ts"],
  };

  it.each(Object.entries(OWNERS))("the SQL of table %s is in its owner only", (table, owners) => {
    const sql = new RegExp(`\\b(from|into|update|join|table)\\s+"?${table}\\b`, "i");
    const writers = sources("src")
      .filter((file) => !file.startsWith("src/migrations/"))
      .filter((file) => sql.test(readFileSync(file, "utf8")));
    expect(writers.filter((file) => !owners.includes(file))).toEqual([]);
  });

  it("no code outside the aggregate sets an order's status", () => {
    const setters = sources("src").filter(
      (file) => file !== "src/orders/order.ts" && /\border\.status\s*=[^=]/.test(readFileSync(file, "utf8")),
    );
    expect(setters).toEqual([]);
  });
});

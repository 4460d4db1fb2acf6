import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { SERVICES } from "../../scripts/access-doc.js";
import { VIEWERS } from "../../src/platform/auth/visibility.js";

/** Rules of the layout that no compiler checks (docs/architecture.md). */
const FEATURES = [
  "orders",
  "cart",
  "catalog",
  "payments",
  "reservations",
  "idempotency",
  "outbox",
  "dev",
  "web",
  "fulfilment",
  "ledger",
  "changes",
];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
  );
}

const importsOf = (file: string) => [...readFileSync(file, "utf8").matchAll(/from "([^"]+)"/g)].map((m) => m[1]!);

/** Where each relative import of `file` points, from src/, without the extension. */
const targetsOf = (file: string) =>
  importsOf(file)
    .filter((path) => path.startsWith("."))
    .map((path) => relative("src", join(file, "..", path)).replace(/\.js$/, ""));

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
    orders: ["src/orders/store/order-repository.ts", "src/orders/store/order-queries.ts"],
    order_items: ["src/orders/store/order-repository.ts", "src/orders/store/order-queries.ts"],
    order_status_history: ["src/orders/store/order-repository.ts", "src/orders/store/order-queries.ts"],
    carts: ["src/cart/store/cart-repository.ts", "src/cart/store/cart-queries.ts"],
    cart_items: ["src/cart/store/cart-repository.ts", "src/cart/store/cart-queries.ts"],
    outbox_events: ["src/outbox/outbox-relay.ts", "src/outbox/outbox-log.ts", "src/outbox/cdc-outbox.ts"],
    idempotency_records: ["src/idempotency/idempotency.ts", "src/idempotency/idempotency-purge.ts"],
    pending_reservations: ["src/reservations/pending-reservations.ts"],
    catalog_products: ["src/catalog/reference/reference-inventory.ts"],
    catalog_reservations: ["src/catalog/reference/reference-inventory.ts"],
    order_ledger_entries: ["src/ledger/store/ledger-repository.ts", "src/ledger/store/ledger-queries.ts"],
    order_changes: ["src/changes/store/change-repository.ts", "src/changes/store/change-queries.ts"],
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
      (file) => file !== "src/orders/domain/order.ts" && /\border\.status\s*=[^=]/.test(readFileSync(file, "utf8")),
    );
    expect(setters).toEqual([]);
  });

  /** Features laid out in layers (docs/architecture.md): domain, store, rpc, and the use cases at the root. */
  const LAYERED = ["orders", "cart", "fulfilment", "ledger", "changes"];

  it.each(LAYERED)("%s/domain/ imports nothing from its store/ or rpc/, nor the database or the wire", (feature) => {
    const offending = sources(`src/${feature}/domain`).flatMap((file) =>
      [...targetsOf(file), ...importsOf(file)]
        .filter(
          (target) =>
            /\/(store|rpc)\//.test(`/${target}/`) || target.startsWith("db/") || /@mikro-orm|gen\/|@bufbuild|@connectrpc/.test(target),
        )
        .map((target) => `${file} -> ${target}`),
    );
    expect(offending).toEqual([]);
  });

  it.each(LAYERED)("%s/rpc/ reaches the database only through use cases and queries: no repository, entity or db/ import", (feature) => {
    const offending = sources(`src/${feature}/rpc`).flatMap((file) =>
      targetsOf(file)
        .filter((target) => /\/store\/(?!\w+-queries$)/.test(`/${target}`) || target.startsWith("db/") || target.endsWith(".entity"))
        .map((target) => `${file} -> ${target}`),
    );
    expect(offending).toEqual([]);
  });

  it.each(LAYERED)("%s/store/ knows no RPC: no rpc/ or generated API import besides the events contract", (feature) => {
    const offending = sources(`src/${feature}/store`).flatMap((file) =>
      [...targetsOf(file), ...importsOf(file)]
        .filter((target) => target.includes("/rpc/") || /gen\/shop\/(order|cart)\/v1\//.test(target))
        .map((target) => `${file} -> ${target}`),
    );
    expect(offending).toEqual([]);
  });

  it("every RPC of every served service has an access rule for each role", () => {
    const missing = SERVICES.flatMap(({ service, access }) =>
      service.methods
        .filter((method) => !VIEWERS.every((viewer) => access[method.localName]?.[viewer] !== undefined))
        .map((method) => `${service.name}.${method.name}`),
    );
    expect(missing).toEqual([]);
  });
});

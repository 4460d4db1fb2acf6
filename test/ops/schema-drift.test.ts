import { MikroORM } from "@mikro-orm/postgresql";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { migrate, openOrm } from "../../src/db/orm.js";
import { query } from "../support/db.js";

/**
 * The entities and the migrations are two listings of one schema. MikroORM's schema generator
 * compares the entity metadata with a database the migrations built: any difference is drift.
 */
describe("entities and migrations", () => {
  const name = `drift_${process.pid}`;
  let orm: MikroORM;
  let url: string;

  beforeAll(async () => {
    const admin = inject("databaseUrl");
    await query(admin, `drop database if exists ${name}`);
    await query(admin, `create database ${name}`);
    url = Object.assign(new URL(admin), { pathname: `/${name}` }).toString();
    orm = await openOrm({ url, poolMax: 2, log: pino({ level: "silent" }) });
    await migrate(orm, url, pino({ level: "silent" }));
  });

  afterAll(async () => {
    await orm?.close();
    await query(inject("databaseUrl"), `drop database if exists ${name}`);
  });

  it("when the migrations have run, then the schema generator finds nothing to change", async () => {
    const diff = await orm.schema.getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim()).toBe("");
  });
});

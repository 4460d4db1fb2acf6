import { migrate, openOrm } from "../../src/db/orm.js";
import { pino } from "pino";
import { startReferenceCatalog } from "./service-process.js";
import { freshDatabase, startTestApp, type TestApp } from "./test-app.js";

/**
 * The service in-process, with its Product and Inventory the reference catalog in a process of its
 * own over gRPC, both on one fresh database (migrated first, so the catalog finds its tables).
 */
export async function startAppWithReferenceCatalogProcess(
  env: Record<string, string> = {},
): Promise<{ app: TestApp; stop(): Promise<void> }> {
  const databaseUrl = await freshDatabase();
  const orm = await openOrm({ url: databaseUrl, poolMax: 1, log: pino({ level: "silent" }) });
  await migrate(orm, databaseUrl, pino({ level: "silent" }));
  await orm.close();
  const catalog = await startReferenceCatalog(databaseUrl);
  const app = await startTestApp(
    { PRODUCT_SERVICE_URL: catalog.url, INVENTORY_SERVICE_URL: catalog.url, PRODUCT_CACHE_TTL_MS: "0", ...env },
    { databaseUrl },
  );
  return {
    app,
    async stop() {
      await app.stop();
      await catalog.stop();
    },
  };
}

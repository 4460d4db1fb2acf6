import { startInventoryTestServer, startProductTestServer } from "./catalog-test-server.js";
import { startTestApp } from "./test-app.js";

/** The service wired to a scripted Product and an Inventory test server over real gRPC; `stop` stops all three. */
export async function startAppWithTestCatalog(env: Record<string, string> = {}) {
  const products = await startProductTestServer();
  const inventory = await startInventoryTestServer();
  const app = await startTestApp({ PRODUCT_SERVICE_URL: products.url, INVENTORY_SERVICE_URL: inventory.url, ...env });
  return {
    app,
    products,
    inventory,
    async stop() {
      await app.stop();
      products.stop();
      inventory.stop();
    },
  };
}

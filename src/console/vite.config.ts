import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/** The staff console; `npm run build` writes it to dist/console, which the service serves at /console in every environment. */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/console/",
  build: { outDir: fileURLToPath(new URL("../../dist/console", import.meta.url)), emptyOutDir: true },
  logLevel: "warn",
});

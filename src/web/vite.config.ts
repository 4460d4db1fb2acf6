import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/** The development page; `npm run build` writes it to dist/web, which the service serves in development. */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  build: { outDir: fileURLToPath(new URL("../../dist/web", import.meta.url)), emptyOutDir: true },
  logLevel: "warn",
});

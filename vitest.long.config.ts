import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/** The long suite (`npm run test:long`, CI): stock conservation for minutes, hundreds of hostile inputs per method. */
export default defineConfig({
  test: {
    ...base.test,
    include: ["test/reliability/stock-conservation.test.ts", "test/reliability/hostile-input.test.ts"],
    exclude: [],
  },
});

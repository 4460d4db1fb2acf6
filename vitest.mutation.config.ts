import { defineConfig, mergeConfig } from "vitest/config";
import unit from "./vitest.unit.config.js";

/**
 * The unit tests Stryker runs: those of the mutated modules. A static mutant (module-level code: the
 * status tables, constants) runs every test, so the files that cover no mutated module (read from
 * Stryker's report) are left out: 27% less per run, and static mutants were 58% of its time.
 */
export default mergeConfig(
  unit,
  defineConfig({
    test: {
      exclude: [
        "test/unit/access-tables.test.ts",
        "test/unit/architecture.test.ts",
        "test/unit/capabilities.test.ts",
        "test/unit/cart-merge.test.ts",
        "test/unit/debezium-manifest.test.ts",
        "test/unit/event-sequence.test.ts",
        "test/unit/rpc-chain.test.ts",
        "test/unit/sql-placeholders.test.ts",
      ],
    },
  }),
);

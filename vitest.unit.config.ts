import { defineConfig } from "vitest/config";

/** Unit tests of the pure modules: no PostgreSQL, no Kafka. Mutation testing (Stryker) runs these. */
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
  },
});

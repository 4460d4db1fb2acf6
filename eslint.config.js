// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Type-aware rules on every TypeScript file we write; generated code (gen/) is buf's, not ours. */
export default tseslint.config(
  {
    ignores: [
      "src/web/vite.config.ts",
      "src/console/vite.config.ts",
      "gen/**",
      "dist/**",
      "packages/order-api/dist/**",
      "packages/order-api/gen/**",
      "reports/**",
      ".stryker-tmp/**",
      "scratch/**",
      "node_modules/**",
      "**/*.js",
      "**/*.mjs",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      // Implementations of promise-returning ports (reference services, test servers) need not await anything.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // Tests, benchmarks and scripts read parsed JSON and YAML (manifests, reports) whose shape they then assert.
    files: ["test/**", "bench/**", "scripts/**"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-enum-comparison": "off",
      // Cleanups are collected as the stop functions of servers started for a test.
      "@typescript-eslint/unbound-method": "off",
    },
  },
  {
    // The client package imports the code scripts/build-client.sh generates into it, absent on a fresh clone.
    files: ["packages/**"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The browser page has its own tsconfig (DOM types).
    files: ["src/web/**"],
    languageOptions: { parserOptions: { projectService: false, project: ["src/web/tsconfig.json"] } },
  },
  {
    // So has the staff console.
    files: ["src/console/**"],
    languageOptions: { parserOptions: { projectService: false, project: ["src/console/tsconfig.json"] } },
  },
);

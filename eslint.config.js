// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Type-aware rules on every TypeScript file we write; generated code (gen/) is buf's, not ours. */
export default tseslint.config(
  { ignores: ["gen/**", "dist/**", "packages/order-api/dist/**", "packages/order-api/gen/**", "reports/**", ".stryker-tmp/**", "node_modules/**", "**/*.js", "**/*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
    },
  },
);

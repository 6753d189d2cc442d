// One lint for every TypeScript and JavaScript file: the program, the sample app and its page, the
// policy pack, the benchmark, tests. Formatting is prettier's (.prettierrc.json), not eslint's.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "bin/**", "test-artifacts/**", "bench/results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // A leading underscore marks a value left unused on purpose (a destructured field dropped, a callback argument).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  { files: ["sample-app/public/**/*.js"], languageOptions: { globals: globals.browser } },
  { files: ["bench/**/*.mjs"], languageOptions: { globals: globals.node } },
  {
    // Tests read untyped Kubernetes JSON, engine events and mock inputs, and load modules by computed path.
    files: ["test/**", "test-*/**", "policy/test/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off", "@typescript-eslint/no-require-imports": "off" },
  },
);

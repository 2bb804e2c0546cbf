import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/**', 'metadata/types.d.ts', 'web/dist/**', 'data/**', 'coverage/**', '**/*.cjs', 'web/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // Plugin web code runs in the browser.
    files: ['plugins/*/web/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // One door for domain code: a plugin imports the platform only through its SDK (docs/plugins.md).
    files: ['plugins/**/*.ts', 'plugins/**/*.tsx', 'tests/fixtures/plugins/**/*.ts'],
    ignores: ['plugins/*/migrations/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: '(^|/)platform/(?!plugins/sdk$)', message: 'Plugins import the platform only through platform/plugins/sdk.' }],
      }],
    },
  },
);

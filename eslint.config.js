// Lint: the TypeScript-aware recommended rules, plus the house rules from STYLE.md
// (no `any`, no empty catch on any path, no floating promises are left to the reader).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain .mjs scripts run on Node: its globals are defined (TypeScript files get them from @types/node).
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', Response: 'readonly', ReadableStream: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unsafe-function-type': 'error',
      'no-empty': ['error', { allowEmptyCatch: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off',
    },
  },
  {
    // The dashboard's scripts run in the browser as classic scripts: they share the page's globals
    // (each names those it uses in a /* global */ comment) and their top-level functions are the page's.
    files: ['src/admin/dashboard/*.js'],
    languageOptions: { sourceType: 'script', globals: { document: 'readonly', window: 'readonly', location: 'readonly', localStorage: 'readonly',
      sessionStorage: 'readonly', confirm: 'readonly', Intl: 'readonly', URLSearchParams: 'readonly' } },
    rules: { '@typescript-eslint/no-unused-vars': ['error', { vars: 'local', argsIgnorePattern: '^_' }] },
  },
);

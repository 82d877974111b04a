import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { resolve } from 'node:path';
import { createLayersPlugin } from './eslint-layers.js';

/** The layer rules (one-way imports, no import circle): eslint-layers.js. */
const layersPlugin = createLayersPlugin(resolve(import.meta.dirname, 'src'));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tmp/**', '.sandbox/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    plugins: { layers: layersPlugin },
    rules: { 'layers/one-way': 'error', 'layers/no-cycle': 'error' },
  },
  {
    // The engine stays in small rooms (a step, the journal, the service): no file over 300 lines.
    files: ['src/rotation/**/*.ts'],
    ignores: ['src/rotation/**/*.test.ts'],
    rules: { 'max-lines': ['error', { max: 300 }] },
  },
  {
    files: ['bin/**/*.js', 'eslint.config.js', 'eslint-layers.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: globals.node },
  },
);

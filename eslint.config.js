import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { dirname, relative, resolve } from 'node:path';

/**
 * Layers depend one way only (DESIGN, style guide §A). For each layer under src/, the layers it
 * may not import. Paths are resolved, so src/sim/kube is not mistaken for src/kube.
 */
const FORBIDDEN = {
  kube: ['kubecost', 'providers', 'rotation', 'verify', 'cli', 'sim'],
  kubecost: ['providers', 'rotation', 'verify', 'cli', 'sim'],
  providers: ['kube', 'kubecost', 'rotation', 'verify', 'cli', 'sim'],
  verify: ['rotation', 'cli', 'sim'],
  rotation: ['cli', 'sim'],
  shared: ['kube', 'kubecost', 'providers', 'rotation', 'verify', 'cli', 'sim'],
  // The simulator ships with the product (sandbox) but must never know the code it tests.
  sim: ['kube', 'kubecost', 'providers', 'rotation', 'verify', 'cli'],
};

const srcRoot = resolve(import.meta.dirname, 'src');
const layerOf = (file) => {
  const rel = relative(srcRoot, file);
  return rel.startsWith('..') ? undefined : rel.split(/[\\/]/)[0];
};

const layersPlugin = {
  rules: {
    'one-way': {
      meta: { type: 'problem', schema: [] },
      create(context) {
        const from = layerOf(context.filename);
        const forbidden = FORBIDDEN[from] ?? [];
        const check = (node) => {
          const source = node.source?.value;
          if (typeof source !== 'string' || !source.startsWith('.')) return;
          const to = layerOf(resolve(dirname(context.filename), source));
          if (to && forbidden.includes(to))
            context.report({
              node,
              message: `src/${from} may not import src/${to} (layers depend one way; see DESIGN).`,
            });
        };
        return {
          ImportDeclaration: check,
          ExportNamedDeclaration: check,
          ExportAllDeclaration: check,
          ImportExpression: check,
        };
      },
    },
  },
};

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
    rules: { 'layers/one-way': 'error' },
  },
  {
    files: ['bin/**/*.js', 'eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: globals.node },
  },
);

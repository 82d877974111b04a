import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Layers depend one way only (DESIGN, style guide §A). Each rule lists what a folder may not import. */
const layerRules = [
  { folder: 'src/kube', forbidden: ['**/kubecost/**', '**/providers/**', '**/rotation/**', '**/cli/**', '**/sim/**', '**/verify/**'] },
  { folder: 'src/kubecost', forbidden: ['**/providers/**', '**/rotation/**', '**/cli/**', '**/sim/**', '**/verify/**'] },
  { folder: 'src/providers', forbidden: ['**/kube/**', '**/kubecost/**', '**/rotation/**', '**/cli/**', '**/sim/**', '**/verify/**'] },
  { folder: 'src/shared', forbidden: ['**/kube/**', '**/kubecost/**', '**/providers/**', '**/rotation/**', '**/cli/**', '**/sim/**', '**/verify/**'] },
  // The simulator ships with the product (sandbox) but must never know the rotation code it tests.
  { folder: 'src/sim', forbidden: ['**/kube/**', '**/kubecost/**', '**/providers/**', '**/rotation/**', '**/cli/**', '**/verify/**'] },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
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
  ...layerRules.map(({ folder, forbidden }) => ({
    files: [`${folder}/**/*.ts`],
    ignores: [`${folder}/**/*.test.ts`],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: forbidden, message: `${folder} may not import this layer (see DESIGN: layers depend one way).` }] }],
    },
  })),
  { files: ['bin/**/*.js', 'eslint.config.js'], ...tseslint.configs.disableTypeChecked, languageOptions: { globals: globals.node } },
);

#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(compiled)) {
  process.stderr.write('kubecost-rotate: the compiled CLI is missing (dist/cli/main.js). Run `npm run build` in the package folder.\n');
  process.exit(70);
}
const { main } = await import(compiled);
process.exitCode = await main(process.argv.slice(2));

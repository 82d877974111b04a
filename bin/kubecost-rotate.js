#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Node 20 is past its end of life and the AWS SDK drops it in January 2027: run on the LTS lines.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `kubecost-rotate: needs Node.js 22 or 24; this is Node.js ${process.versions.node}. ` +
      'Install Node.js 24 LTS (inside this package folder, `npm start` and `npx kubecost-rotate` use the Node that `npm ci` installed).\n',
  );
  process.exit(2);
}

const compiled = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(compiled)) {
  process.stderr.write(
    'kubecost-rotate: the compiled CLI is missing (dist/cli/main.js). Run `npm run build` in the package folder.\n',
  );
  process.exit(70);
}
const { main } = await import(compiled);
process.exitCode = await main(process.argv.slice(2));

/**
 * The layer rules of src/ (DESIGN, style guide §A), as an eslint plugin:
 * - `one-way`: a layer imports only the layers below it; `cli` may load `sandbox` only lazily
 *   (`import()`), and only `sandbox` may import the simulators in `sim`;
 * - `no-cycle`: no import circle between modules (static or dynamic; `import type` is erased, so it
 *   does not count).
 * Paths are resolved, so src/sim/kube is not mistaken for src/kube.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** For each layer under src/, the layers it may not import. */
export const FORBIDDEN = {
  kube: ['kubecost', 'providers', 'rotation', 'verify', 'cli', 'sim', 'sandbox'],
  kubecost: ['providers', 'rotation', 'verify', 'cli', 'sim', 'sandbox'],
  providers: ['kube', 'kubecost', 'rotation', 'verify', 'cli', 'sim', 'sandbox'],
  verify: ['rotation', 'cli', 'sim', 'sandbox'],
  rotation: ['cli', 'sim', 'sandbox'],
  shared: ['kube', 'kubecost', 'providers', 'rotation', 'verify', 'cli', 'sim', 'sandbox'],
  // The product never loads the simulators; the sandbox commands only when they are installed.
  cli: ['sim'],
  // The simulators must never know the code they test.
  sim: ['kube', 'kubecost', 'providers', 'rotation', 'verify', 'cli', 'sandbox'],
};

/** Layers a layer may load only with a dynamic import(), so that an installation can go without them. */
export const LAZY_ONLY = { cli: ['sandbox'] };

const isTest = (file) => /\.test\.ts$/.test(file);

function layerOf(srcRoot, file) {
  const rel = relative(srcRoot, file);
  return rel.startsWith('..') ? undefined : rel.split(/[\\/]/)[0];
}

/** The module an import specifier names, as a .ts path under src (ESM imports say .js). */
function target(from, specifier) {
  return resolve(dirname(from), specifier).replace(/\.js$/, '.ts');
}

/** The runtime imports of a source file: relative specifiers of static and dynamic imports, type-only ones left out. */
export function runtimeImports(file, text) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found = [];
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier))
      found.push(node.moduleSpecifier.text);
    else if (
      ts.isExportDeclaration(node) &&
      !node.isTypeOnly &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    )
      found.push(node.moduleSpecifier.text);
    else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    )
      found.push(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.filter((s) => s.startsWith('.'));
}

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !isTest(entry.name) ? [path] : [];
  });
}

/** The modules of src/ that sit on an import circle, each with the circle (Tarjan's strongly connected components). */
export function importCircles(srcRoot) {
  const graph = new Map();
  for (const file of sourceFiles(srcRoot))
    graph.set(
      file,
      runtimeImports(file, readFileSync(file, 'utf8')).map((s) => target(file, s)),
    );
  let index = 0;
  const indexOf = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const circleOf = new Map();
  const strongConnect = (v) => {
    indexOf.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indexOf.has(w)) {
        strongConnect(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), indexOf.get(w)));
    }
    if (low.get(v) === indexOf.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).includes(v);
      if (component.length > 1 || selfLoop) for (const m of component) circleOf.set(m, component);
    }
  };
  for (const v of graph.keys()) if (!indexOf.has(v)) strongConnect(v);
  return circleOf;
}

export function createLayersPlugin(srcRoot) {
  let circles;
  return {
    rules: {
      'one-way': {
        meta: { type: 'problem', schema: [] },
        create(context) {
          const from = layerOf(srcRoot, context.filename);
          const forbidden = FORBIDDEN[from] ?? [];
          const lazyOnly = LAZY_ONLY[from] ?? [];
          const check = (node) => {
            const source = node.source?.value;
            if (typeof source !== 'string' || !source.startsWith('.')) return;
            const to = layerOf(srcRoot, resolve(dirname(context.filename), source));
            if (to && forbidden.includes(to))
              context.report({
                node,
                message: `src/${from} may not import src/${to} (layers depend one way; see DESIGN).`,
              });
            else if (to && lazyOnly.includes(to) && node.type !== 'ImportExpression' && node.importKind !== 'type')
              context.report({
                node,
                message: `src/${from} may load src/${to} only lazily, with import(): an installation can go without it.`,
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
      'no-cycle': {
        meta: { type: 'problem', schema: [] },
        create(context) {
          circles ??= importCircles(srcRoot);
          const circle = circles.get(resolve(context.filename));
          if (!circle) return {};
          const check = (node) => {
            const source = node.source?.value;
            if (typeof source !== 'string' || !source.startsWith('.')) return;
            if (node.importKind === 'type' || node.exportKind === 'type') return;
            if (!circle.includes(target(context.filename, source))) return;
            context.report({
              node,
              message: `this import closes an import circle: ${circle.map((f) => relative(srcRoot, f)).join(' → ')}. Break it (move what both need to a lower module, or inject it).`,
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
}

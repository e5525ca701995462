// The layers, checked mechanically: shared/ is runtime-neutral, functions/ runs in Workers, training/ in Node, and
// nothing imports upward or in a circle. Per-folder tsconfigs (npm run typecheck) keep Node and Workers types out of
// the folders that must not use them; this test checks the import graph itself.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/worker.js';

const LAYERS = ['shared', 'functions', 'training'] as const;
type Layer = (typeof LAYERS)[number];

/** What each layer may import from the others (a layer always may import itself). */
const MAY_IMPORT: Record<Layer, Layer[]> = { shared: [], functions: ['shared'], training: ['shared'] };

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Module specifiers of static imports and re-exports, dynamic import() and type imports. */
function specifiers(code: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of code.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

const files = LAYERS.flatMap((l) => sources(path.join(REPO_ROOT, l)));
const layerOf = (file: string) => path.relative(REPO_ROOT, file).split(path.sep)[0] as Layer;
/** Relative imports resolved to repo files (.js in the specifier is the .ts source). */
const edges = new Map(
  files.map((f) => {
    const targets = specifiers(readFileSync(f, 'utf8'))
      .filter((s) => s.startsWith('.'))
      .map((s) => path.resolve(path.dirname(f), s).replace(/\.js$/, '.ts'))
      .filter((t) => t.endsWith('.ts'));
    return [f, targets] as const;
  }),
);
const rel = (f: string) => path.relative(REPO_ROOT, f);

describe('the layers', () => {
  it('finds the sources and their imports (the checks below look at something)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(specifiers("import a from './a.js';\nexport { b } from \"../b.js\";\nimport './c.js';\nconst d = await import('./d.js');\nimport type { E } from './e.js';")).toEqual(['./a.js', '../b.js', './c.js', './d.js', './e.js']);
  });

  it('no layer imports upward or sideways: shared imports only shared; functions and training import shared and themselves', () => {
    const bad: string[] = [];
    for (const [f, targets] of edges) {
      const from = layerOf(f);
      for (const t of targets) {
        const to = rel(t).split(path.sep)[0];
        if (to !== from && !(MAY_IMPORT[from] as string[]).includes(to)) bad.push(`${rel(f)} -> ${rel(t)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('every relative import names a file that exists', () => {
    const missing = [...edges].flatMap(([f, ts]) => ts.filter((t) => !existsSync(t)).map((t) => `${rel(f)} -> ${rel(t)}`));
    expect(missing).toEqual([]);
  });

  it('shared/ and functions/ import no node: modules', () => {
    const bad = files
      .filter((f) => layerOf(f) !== 'training')
      .flatMap((f) => specifiers(readFileSync(f, 'utf8')).filter((s) => s.startsWith('node:')).map((s) => `${rel(f)}: ${s}`));
    expect(bad).toEqual([]);
  });

  it('every package the layers import at run time is in dependencies (npm ci --omit=dev can train, publish and serve)', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const runtime = new Set<string>();
    for (const f of files) {
      // Type-only imports vanish at build time; everything else is loaded when the module is.
      const code = readFileSync(f, 'utf8').replace(/^\s*(?:import|export)\s+type\s[^;]*;/gm, '');
      for (const s of specifiers(code)) {
        if (s.startsWith('.') || s.startsWith('node:')) continue;
        runtime.add(s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]);
      }
    }
    expect([...runtime].filter((p) => !(p in pkg.dependencies)).sort()).toEqual([]);
    expect([...runtime]).toContain('hono');
  });

  it('the bench may use the test helpers (the Worker harness, handmade models, the swap driver), never the reverse', () => {
    const bad = sources(path.join(REPO_ROOT, 'test')).flatMap((f) =>
      specifiers(readFileSync(f, 'utf8'))
        .filter((s) => s.startsWith('.') && rel(path.resolve(path.dirname(f), s)).split(path.sep)[0] === 'bench')
        .map((s) => `${rel(f)} -> ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it('no import circle among the sources (the detector finds a planted one)', () => {
    expect(cyclesOf(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual(['a -> b -> c -> a']);
    expect(cyclesOf(edges).map((c) => c.split(' -> ').map((f) => rel(f)).join(' -> '))).toEqual([]);
  });
});

function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, trail: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(f)), f].join(' -> '));
      return;
    }
    state.set(f, 'open');
    for (const t of graph.get(f) ?? []) visit(t, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  return cycles;
}

// ---- Sizes: small modules and short functions, so that each reads as one thing ----------------------------------

const SIZE_ROOTS = ['shared', 'functions', 'training', 'bench', 'scripts', 'test/helpers'];
const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;

/** Data tables (a literal that is long because the data is), as '<file>' or '<file> <function>' with why. None today. */
const DATA_TABLES: Record<string, string> = {};

/** Code kept verbatim on purpose, as '<file> <function>' with why: a bench comparator must stay what it measured. */
const FROZEN: Record<string, string> = {
  'bench/lib/bpr-baseline.ts trainBpr':
    "bpr's epoch loop as it was, the ranker-epochs bench's speed comparator; split up it runs at another speed (training/models/bpr.ts's split loop takes 0.64x its CPU time per epoch at width 32)",
};

interface Oversize {
  /** '<file>' for a long file, '<file> <function>' for a long function. */
  what: string;
  lines: number;
}

/** Lines: the text split at newlines (a file that ends in a newline counts one more than `wc -l`). */
const lineCount = (src: string) => src.split('\n').length;

/** Whether `fn` is the callback of describe/it/test (or .each/.skip/.only forms of them) in a test file. */
function isTestBody(fn: ts.Node, file: string): boolean {
  if (!file.endsWith('.test.ts') || !ts.isCallExpression(fn.parent) || !fn.parent.arguments.includes(fn as ts.Expression)) return false;
  let callee: ts.Expression = fn.parent.expression;
  while (ts.isCallExpression(callee) || ts.isPropertyAccessExpression(callee)) callee = ts.isCallExpression(callee) ? callee.expression : callee.expression;
  return ts.isIdentifier(callee) && ['describe', 'it', 'test'].includes(callee.text);
}

/** The function's own name, or the name of what it is assigned to (a const, a property), else <anon>. */
function functionName(fn: ts.FunctionLikeDeclaration): string {
  if (fn.name) return fn.name.getText();
  const p = fn.parent;
  if ((ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && p.name) return p.name.getText();
  return '<anon>';
}

/** The file if it is over MAX_FILE_LINES, and every function in it over MAX_FUNCTION_LINES (test bodies aside). */
function oversized(file: string, src: string): Oversize[] {
  const out: Oversize[] = [];
  if (lineCount(src) > MAX_FILE_LINES) out.push({ what: file, lines: lineCount(src) });
  const sf = ts.createSourceFile(file, src, ts.ScriptTarget.Latest, true);
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body && !isTestBody(node, file)) {
      const fn = node as ts.FunctionLikeDeclaration;
      const lines = sf.getLineAndCharacterOfPosition(fn.getEnd()).line - sf.getLineAndCharacterOfPosition(fn.getStart()).line + 1;
      if (lines > MAX_FUNCTION_LINES) out.push({ what: `${file} ${functionName(fn)}`, lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

const sized = SIZE_ROOTS.flatMap((r) => sources(path.join(REPO_ROOT, r))).flatMap((f) => oversized(rel(f).split(path.sep).join('/'), readFileSync(f, 'utf8')));

describe('sizes', () => {
  it('the detector finds a planted long file and long functions, names them, and spares describe/it bodies in tests', () => {
    const body = (n: number) => Array.from({ length: n - 2 }, (_, i) => `  x += ${i};`).join('\n');
    const src = [
      `export function long(): number {\n  let x = 0;\n${body(81 - 1)}\n}`,
      `export function exactly80(): number {\n  let x = 0;\n${body(80 - 1)}\n}`,
      `const arrow = (): number => {\n  let x = 0;\n${body(81 - 1)}\n};`,
      `class C {\n  method(): number {\n    let x = 0;\n${body(81 - 1)}\n  }\n}`,
    ].join('\n');
    expect(oversized('a.ts', src)).toEqual([
      { what: 'a.ts long', lines: 81 },
      { what: 'a.ts arrow', lines: 81 },
      { what: 'a.ts method', lines: 81 },
    ]);
    const test = `describe('d', () => {\n  it('i', () => {\n    let x = 0;\n${body(90)}\n  });\n  function helper(): void {\n    let x = 0;\n${body(90)}\n  }\n});`;
    expect(oversized('b.test.ts', test).map((o) => o.what)).toEqual(['b.test.ts helper']);
    expect(oversized('b.ts', test).map((o) => o.what)).toEqual(['b.ts <anon>', 'b.ts <anon>', 'b.ts helper']);
    expect(oversized('c.ts', 'const a = 1;\n'.repeat(400))).toEqual([{ what: 'c.ts', lines: 401 }]);
    expect(oversized('c.ts', 'const a = 1;\n'.repeat(399))).toEqual([]);
  });

  it(`no file over ${MAX_FILE_LINES} lines and no function over ${MAX_FUNCTION_LINES} under ${SIZE_ROOTS.join(', ')} (DATA_TABLES and FROZEN aside)`, () => {
    const exempt = new Set([...Object.keys(DATA_TABLES), ...Object.keys(FROZEN)]);
    expect(sized.filter((o) => !exempt.has(o.what)).map((o) => `${o.what}: ${o.lines} lines`)).toEqual([]);
  });

  it('every DATA_TABLES and FROZEN entry is still over the limit (one that is short now comes off the list)', () => {
    const long = new Set(sized.map((o) => o.what));
    expect([...Object.keys(DATA_TABLES), ...Object.keys(FROZEN)].filter((w) => !long.has(w))).toEqual([]);
    expect([...Object.values(DATA_TABLES), ...Object.values(FROZEN)].every((why) => why.length > 20)).toBe(true);
  });
});

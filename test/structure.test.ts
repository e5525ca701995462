// The layers, checked mechanically: shared/ is runtime-neutral, functions/ runs in Workers, training/ in Node, and
// nothing imports upward or in a circle. Per-folder tsconfigs (npm run typecheck) keep Node and Workers types out of
// the folders that must not use them; this test checks the import graph itself.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
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

// The route fuzz's shared parts, from which test/helpers/fuzz-cases.ts builds its cases: the README's route table,
// id and parameter generators, and the rules every route applies in the same order (filters, model name, lookups).
import fc from 'fast-check';
import { expect } from 'vitest';
import type { LoadedModel } from '../../shared/model/loaded.js';
import type { Scored } from '../../shared/model/queries.js';
import { err, idOk, modelNameOk, type Expect } from './fuzz-oracle.js';
import type { HandmadeModel } from './handmade-artifact.js';

/** Model names that are well formed but not published, and malformed ones. */
export const OTHER_MODELS = ['nope', 'fz2', 'FZ', 'fz ', 'f.z', '-fz', 'a'.repeat(65), 'fz/x', 'ü', '..', '.'];
/** Strings that have broken path handling, templating or lookups somewhere. */
export const TRICKS = [
  '..%2F', '%00', '%2F', 'a%2Fb', '%ZZ', '%', '%E0%A4%A', '\u0000', '\n', '\t', ' ', '\u202e', '\ufeff', '\u007f',
  '<script>alert(1)</script>', "' OR 1=1 --", '${7*7}', '{{7*7}}', 'null', 'undefined', '__proto__', 'constructor',
  'toString', '0', '-1', '1e3', '01', ' 1', 'Strategy', 'strategy', '.', '..', 'x'.repeat(256), 'x'.repeat(257),
];

export interface Case {
  method: string;
  path: string;
  body?: string;
  expect: Expect;
  /** Checks a 200 answer's body (JSON parsed, or HTML text for the widget). */
  check?: (body: unknown) => void;
  html?: boolean;
}

/** The Worker's routes as the README lists them (hand-written: the oracle must not read the app's own table). */
export const API_ROUTES: [string, RegExp][] = (
  [
    ['GET', '/healthz'], ['GET', '/openapi.json'], ['GET', '/embed.js'], ['GET', '/v1/models'],
    ['GET', '/v1/models/:m/items/:i/similar'], ['GET', '/v1/models/:m/users/:u/recommendations'], ['GET', '/v1/models/:m/recommendations'],
    ['GET', '/v1/models/:m/popular'], ['GET', '/v1/models/:m/users/:u/items/:i/rating'], ['GET', '/v1/models/:m/tags/:t/similar'],
    ['GET', '/widget/:m/items/:i'], ['GET', '/widget/:m/users/:u'], ['GET', '/widget/:m/popular'], ['GET', '/widget/:m/recommendations'],
    ['POST', '/v1/models/:m/items/similar'], ['POST', '/v1/models/:m/recommendations/from-examples'],
    ['POST', '/v1/models/:m/recommendations/for-ratings'], ['POST', '/v1/models/:m/predict'],
  ] as const
).map(([m, p]) => [m, new RegExp(`^${p.replace(/\./g, '\\.').replace(/:[a-z]+/g, '[^/]+')}/?$`)]);

export type Filters = { genre?: string[]; tag?: string[]; exclude?: string[] };

export const query = (params: [string, string | undefined][]) => {
  const q = params.filter(([, v]) => v !== undefined).map(([n, v]) => `${n}=${encodeURIComponent(v!)}`);
  return q.length ? `?${q.join('&')}` : '';
};
export const filterParams = (f: Filters): [string, string][] => [
  ...(f.genre ?? []).map((v): [string, string] => ['genre', v]),
  ...(f.tag ?? []).map((v): [string, string] => ['tag', v]),
  ...(f.exclude ?? []).map((v): [string, string] => ['exclude', v]),
];

// ---- oracles (README rules, in the order the routes apply them) ----

/** ?genre= / ?tag= / ?exclude=: comma lists without empty entries, at most 50 tags / 500 ids, each a valid id. */
export function filterRule(f: Filters): { ok: true; tags: string[]; exclude: string[] } | { ok: false; expect: Expect } {
  const lists: Record<string, string[]> = {};
  for (const name of ['genre', 'tag', 'exclude'] as const) {
    lists[name] = [];
    for (const raw of f[name] ?? []) {
      const parts = raw.split(',').map((p) => p.trim());
      if (parts.some((p) => p === '')) return { ok: false, expect: err(400, `bad_${name}`) };
      lists[name].push(...parts);
    }
  }
  const tags = [...lists.genre, ...lists.tag];
  if (tags.length > 50) return { ok: false, expect: err(400, 'bad_tag') };
  if (lists.exclude.length > 500) return { ok: false, expect: err(400, 'bad_exclude') };
  if (tags.some((t) => !idOk(t))) return { ok: false, expect: err(400, 'bad_tag_id') };
  if (lists.exclude.some((t) => !idOk(t))) return { ok: false, expect: err(400, 'bad_item_id') };
  return { ok: true, tags, exclude: lists.exclude };
}

/**
 * A path that names no route for its method: 405 when it resolves (dot segments included, as a URL does) to a path
 * the README's API serves with other methods, else 404 no_route.
 */
export const noRoute = (method: string, path: string): Case => {
  const resolved = new URL(path, 'http://x').pathname;
  const others = API_ROUTES.filter(([m, re]) => re.test(resolved) && m !== (method === 'HEAD' ? 'GET' : method));
  return { method, path, expect: others.length ? err(405, 'method_not_allowed') : err(404, 'no_route') };
};

/**
 * What every route's cases share for model `M` (published from `def`); `n()` is the same artifact loaded on the Node
 * side, read only when a case is generated (after the test's beforeAll).
 */
export function fuzzContext(M: string, def: HandmadeModel, n: () => LoadedModel) {
  function near(got: { id: string; title?: string; score: number }[], want: Scored[], what: string): void {
    const ids = want.map((s) => n().items.ids[s.index]);
    // Equal ids in order; a pair of neighbours may swap only if their scores tie within float noise.
    expect(got.length, what).toBe(want.length);
    const gap = (j: number) => Math.min(...[want[j - 1], want[j + 1]].filter((x) => x !== undefined).map((x) => Math.abs(x.score - want[j].score)));
    got.forEach((g, j) => {
      expect(Math.abs(g.score - want[j].score), `${what}: score ${j}`).toBeLessThanOrEqual(2e-5);
      if (g.id !== ids[j]) expect(gap(j), `${what}: result ${j} is ${g.id}, expected ${ids[j]}`).toBeLessThanOrEqual(2e-5);
      else if (g.title !== undefined) expect(g.title).toBe(n().itemMeta[want[j].index].title);
    });
  }

  // ---- generators ----

  // Ids come from the model definition (cases are built before the model is loaded), answers from the loaded model.
  const known = {
    items: () => fc.constantFrom(...def.items.map((x) => x.id)),
    users: () => fc.constantFrom(...def.users!.map((x) => x.id)),
    tags: () => fc.constantFrom(...def.tags!.map((x) => x.id)),
  };
  /** Any id: known ones, random Unicode (control characters included), over-long, and the tricks. */
  const anyId = (pick: () => fc.Arbitrary<string>) =>
    fc.oneof(
      { weight: 12, arbitrary: pick() },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }) },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 250, maxLength: 300 }) },
      { weight: 2, arbitrary: fc.constantFrom(...TRICKS) },
    );
  const model = fc.oneof({ weight: 12, arbitrary: fc.constant(M) }, { weight: 1, arbitrary: fc.constantFrom(...OTHER_MODELS) });
  const kRaw = fc.option(
    fc.oneof(
      { weight: 12, arbitrary: fc.integer({ min: 1, max: 30 }).map(String) },
      fc.integer({ min: -5, max: 130 }).map(String),
      fc.constantFrom('NaN', 'Infinity', '-Infinity', '1.5', '1e2', '0x10', '', ' 5', '5 ', '+5', '١٠', '010', '0010', '00100', '10000', '9'.repeat(30), '-0', '0', '30', '31', '100', '101'),
      fc.double().map(String),
      fc.string({ unit: 'binary', maxLength: 6 }),
    ),
    { nil: undefined },
  );
  const listValue = (pick: () => fc.Arbitrary<string>) =>
    fc.array(fc.oneof({ weight: 15, arbitrary: pick() }, { weight: 1, arbitrary: fc.constantFrom('', ' ', 'Nope', 'strategy', '\u0001') }), { minLength: 1, maxLength: 3 }).map((parts) => parts.join(','));
  const filters = fc.record(
    {
      genre: fc.array(listValue(known.tags), { maxLength: 2 }),
      tag: fc.array(listValue(known.tags), { maxLength: 2 }),
      exclude: fc.array(listValue(() => fc.oneof({ weight: 9, arbitrary: known.items() }, { weight: 1, arbitrary: fc.constant('no-such') })), { maxLength: 2 }),
    },
    { requiredKeys: [] },
  ).map((f) => f as Filters);
  const maybeFilters = fc.oneof({ weight: 3, arbitrary: fc.constant({} as Filters) }, { weight: 1, arbitrary: filters });

  /** The model part: a malformed name is 400, a well-formed unknown one 404 (the bucket is not empty). */
  const modelRule = (name: string): Expect | undefined =>
    !modelNameOk(name) ? err(400, 'bad_model_name') : name !== M ? err(404, 'unknown_model') : undefined;

  /** Filter ids that the model lacks: the first unknown excluded id, then the first tag no item carries. */
  function filterLookup(tags: string[], exclude: string[]): Expect | undefined {
    const missing = exclude.find((id) => !n().items.has(id));
    if (missing !== undefined) return err(404, 'unknown_item', JSON.stringify(missing));
    const carried = new Set(n().itemMeta.flatMap((m) => m.tags ?? []));
    const tag = tags.find((t) => !carried.has(t));
    return tag !== undefined ? err(404, 'unknown_tag', JSON.stringify(tag)) : undefined;
  }

  return { M, n, near, known, anyId, model, kRaw, maybeFilters, modelRule, filterLookup };
}

export type FuzzContext = ReturnType<typeof fuzzContext>;

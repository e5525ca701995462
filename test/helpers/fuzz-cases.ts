// Request generators for the route fuzz (test/robustness/fuzz-routes.test.ts): fast-check arbitraries of requests to
// every route, each with the answer the README's rules give (fuzz-oracle.ts) and, for a 200, a check of the body
// against what shared/ computes on the Node side for the same artifact.
import fc from 'fast-check';
import { expect } from 'vitest';
import { itemArithmetic } from '../../shared/model/arithmetic.js';
import { buildItemFilter, recommendForUserWhere, similarItemsWhere, topKWhere } from '../../shared/model/filters.js';
import { popularItems } from '../../shared/model/popular.js';
import { recommendForItems } from '../../shared/model/visitor.js';
import { recommendFromExamples } from '../../shared/model/from-examples.js';
import type { LoadedModel } from '../../shared/model/loaded.js';
import { predictRatings, recommendForUser, similarItems, type Scored } from '../../shared/model/queries.js';
import { similarTags } from '../../shared/model/tag-vectors.js';
import {
  BODY_SPECS,
  checkBody,
  err,
  idOk,
  isDotSegment,
  kValue,
  modelNameOk,
  ok,
  parseBodyText,
  seg,
  WIDGET_MAX_K,
  type Expect,
  type Spec,
} from './fuzz-oracle.js';
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

/**
 * The arbitraries for model `M` (published from `def`); `node()` is the same artifact loaded on the Node side, read
 * only when a case is generated (after the test's beforeAll).
 */
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

export function routeCases(M: string, def: HandmadeModel, n: () => LoadedModel) {
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
  type Filters = { genre?: string[]; tag?: string[]; exclude?: string[] };

  const query = (params: [string, string | undefined][]) => {
    const q = params.filter(([, v]) => v !== undefined).map(([n, v]) => `${n}=${encodeURIComponent(v!)}`);
    return q.length ? `?${q.join('&')}` : '';
  };
  const filterParams = (f: Filters): [string, string][] => [
    ...(f.genre ?? []).map((v): [string, string] => ['genre', v]),
    ...(f.tag ?? []).map((v): [string, string] => ['tag', v]),
    ...(f.exclude ?? []).map((v): [string, string] => ['exclude', v]),
  ];

  // ---- oracles (README rules, in the order the routes apply them) ----

  /** ?genre= / ?tag= / ?exclude=: comma lists without empty entries, at most 50 tags / 500 ids, each a valid id. */
  function filterRule(f: Filters): { ok: true; tags: string[]; exclude: string[] } | { ok: false; expect: Expect } {
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

  /**
   * A path that names no route for its method: 405 when it resolves (dot segments included, as a URL does) to a path
   * the README's API serves with other methods, else 404 no_route.
   */
  const noRoute = (method: string, path: string): Case => {
    const resolved = new URL(path, 'http://x').pathname;
    const others = API_ROUTES.filter(([m, re]) => re.test(resolved) && m !== (method === 'HEAD' ? 'GET' : method));
    return { method, path, expect: others.length ? err(405, 'method_not_allowed') : err(404, 'no_route') };
  };

  const similarCase = fc.record({ m: model, item: anyId(known.items), k: kRaw, f: maybeFilters, head: fc.boolean() }).map(({ m, item, k, f, head }): Case => {
    const method = head ? 'HEAD' : 'GET';
    const path = `/v1/models/${seg(m)}/items/${seg(item)}/similar${query([['k', k], ...filterParams(f)])}`;
    if (isDotSegment(m) || isDotSegment(item)) return noRoute(method, path);
    const kk = kValue(k);
    const fr = filterRule(f);
    const e =
      kk === undefined ? err(400, 'bad_k')
      : !fr.ok ? fr.expect
      : !idOk(item) ? err(400, 'bad_item_id')
      : modelRule(m) ?? (!n().items.has(item) ? err(404, 'unknown_item', JSON.stringify(item)) : filterLookup(fr.tags, fr.exclude) ?? ok());
    return {
      method,
      path,
      expect: e,
      check: (body) => {
        const b = body as { model: string; item: { id: string }; k: number; results: { id: string; title: string; score: number }[] };
        expect(b.item.id).toBe(item);
        expect(b.k).toBe(kk);
        const i = n().items.indexOf(item, M);
        near(b.results, similarItemsWhere(n(), i, kk!, buildItemFilter(n(), fr.ok ? fr : {})), path);
      },
    };
  });

  /** ?items=: comma lists of 1..100 ids (empty entries refused), known ones mostly, sometimes hostile or too many. */
  const itemsRaw = fc.option(
    fc.oneof(
      { weight: 8, arbitrary: fc.array(anyId(known.items), { minLength: 1, maxLength: 4 }).map((a) => a.join(',')) },
      { weight: 1, arbitrary: fc.constantFrom('', ',', '1,,2', ' ', '1,'.repeat(101) + '1') },
    ),
    { nil: undefined },
  );
  const visitorCase = fc.record({ m: model, items: itemsRaw, k: kRaw, f: maybeFilters }).map(({ m, items, k, f }): Case => {
    const path = `/v1/models/${seg(m)}/recommendations${query([['items', items], ['k', k], ...filterParams(f)])}`;
    if (isDotSegment(m)) return noRoute('GET', path);
    const kk = kValue(k);
    const fr = filterRule(f);
    const ids = (items ?? '').split(',').map((p) => p.trim());
    const e =
      kk === undefined ? err(400, 'bad_k')
      : !fr.ok ? fr.expect
      : items === undefined || ids.some((x) => x === '') || ids.length > 100 ? err(400, 'bad_items')
      : ids.some((x) => !idOk(x)) ? err(400, 'bad_item_id')
      : modelRule(m) ?? (ids.find((x) => !n().items.has(x)) !== undefined ? err(404, 'unknown_item', JSON.stringify(ids.find((x) => !n().items.has(x)))) : filterLookup(fr.tags, fr.exclude) ?? ok());
    return {
      method: 'GET',
      path,
      expect: e,
      check: (body) => {
        const b = body as { items: { id: string }[]; results: { id: string; title: string; score: number }[] };
        const given = Int32Array.from(new Set(ids.map((x) => n().items.indexOf(x, M))));
        expect(b.items.map((x) => x.id)).toEqual(Array.from(given, (i) => n().items.ids[i]));
        near(b.results, recommendForItems(n(), given, kk!, buildItemFilter(n(), fr.ok ? fr : {})), path);
      },
    };
  });
  const popularCase = fc.record({ m: model, k: kRaw, f: maybeFilters }).map(({ m, k, f }): Case => {
    const path = `/v1/models/${seg(m)}/popular${query([['k', k], ...filterParams(f)])}`;
    if (isDotSegment(m)) return noRoute('GET', path);
    const kk = kValue(k);
    const fr = filterRule(f);
    const e = kk === undefined ? err(400, 'bad_k') : !fr.ok ? fr.expect : modelRule(m) ?? filterLookup(fr.tags, fr.exclude) ?? ok();
    return {
      method: 'GET',
      path,
      expect: e,
      check: (body) => {
        const filter = buildItemFilter(n(), fr.ok ? fr : {});
        near((body as { results: { id: string; score: number }[] }).results, topKWhere(n().items.size, kk!, filter, (want) => popularItems(n(), want)), path);
      },
    };
  });

  const seenRaw = fc.option(fc.oneof({ weight: 4, arbitrary: fc.constantFrom('true', 'false', '1', '0') }, { weight: 1, arbitrary: fc.constantFrom('yes', 'TRUE', '', 'no', ' true') }), { nil: undefined });
  const recsCase = fc.record({ m: model, user: anyId(known.users), k: kRaw, seen: seenRaw, f: maybeFilters }).map(({ m, user, k, seen, f }): Case => {
    const path = `/v1/models/${seg(m)}/users/${seg(user)}/recommendations${query([['k', k], ['exclude_seen', seen], ...filterParams(f)])}`;
    const kk = kValue(k);
    const fr = filterRule(f);
    // users/.. resolves to the visitor route, /v1/models/:model/recommendations, which wants ?items=.
    if (!isDotSegment(m) && user === '..') return { method: 'GET', path, expect: kk === undefined ? err(400, 'bad_k') : !fr.ok ? fr.expect : err(400, 'bad_items') };
    if (isDotSegment(m) || isDotSegment(user)) return noRoute('GET', path);
    const excludeSeen = seen === undefined || seen === 'true' || seen === '1' ? true : seen === 'false' || seen === '0' ? false : undefined;
    const e =
      kk === undefined ? err(400, 'bad_k')
      : excludeSeen === undefined ? err(400, 'bad_exclude_seen')
      : !fr.ok ? fr.expect
      : !idOk(user) ? err(400, 'bad_user_id')
      : modelRule(m) ?? filterLookup(fr.tags, fr.exclude) ?? ok();
    return {
      method: 'GET',
      path,
      expect: e,
      check: (body) => {
        const b = body as { user: string; exclude_seen?: boolean; fallback?: string; results: { id: string; title: string; score: number }[] };
        const filter = buildItemFilter(n(), fr.ok ? fr : {});
        if (!n().users.has(user)) {
          // A user the model does not know gets the popular list, never a 404.
          expect([b.user, b.fallback]).toEqual([user, 'popular']);
          near(b.results, topKWhere(n().items.size, kk!, filter, (want) => popularItems(n(), want)), path);
          return;
        }
        expect([b.user, b.exclude_seen, b.fallback]).toEqual([user, excludeSeen, undefined]);
        const u = n().users.indexOf(user, M);
        near(b.results, recommendForUserWhere(n(), u, kk!, excludeSeen!, filter), path);
      },
    };
  });

  const ratingCase = fc.record({ m: model, user: anyId(known.users), item: anyId(known.items) }).map(({ m, user, item }): Case => {
    const path = `/v1/models/${seg(m)}/users/${seg(user)}/items/${seg(item)}/rating`;
    if ([m, user, item].some(isDotSegment)) return noRoute('GET', path);
    const e =
      !idOk(user) ? err(400, 'bad_user_id')
      : !idOk(item) ? err(400, 'bad_item_id')
      : modelRule(m) ?? (!n().users.has(user) ? err(404, 'unknown_user') : !n().items.has(item) ? err(404, 'unknown_item') : ok());
    return {
      method: 'GET',
      path,
      expect: e,
      check: (body) => {
        const b = body as { user: string; item: { id: string }; rating: number; range: number[] };
        const [want] = predictRatings(n(), Int32Array.of(n().users.indexOf(user, M)), Int32Array.of(n().items.indexOf(item, M)));
        expect([b.user, b.item.id, b.range]).toEqual([user, item, [1, 5]]);
        expect(Math.abs(b.rating - want)).toBeLessThanOrEqual(2e-5);
      },
    };
  });

  const tagsCase = fc.record({ m: model, tag: anyId(known.tags), k: kRaw }).map(({ m, tag, k }): Case => {
    const path = `/v1/models/${seg(m)}/tags/${seg(tag)}/similar${query([['k', k]])}`;
    if (isDotSegment(m) || isDotSegment(tag)) return noRoute('GET', path);
    const kk = kValue(k);
    const e =
      kk === undefined ? err(400, 'bad_k')
      : !idOk(tag) ? err(400, 'bad_tag_id')
      : modelRule(m) ?? (!n().tags!.index.has(tag) ? err(404, 'unknown_tag', JSON.stringify(tag)) : ok());
    return {
      method: 'GET',
      path,
      expect: e,
      check: (body) => {
        const b = body as { tag: string; results: { tag: string; score: number }[] };
        const want = similarTags(n(), n().tags!.index.indexOf(tag, M), kk!);
        expect(b.tag).toBe(tag);
        expect(b.results.map((r) => r.tag)).toEqual(want.map((s) => n().tags!.index.ids[s.index]));
      },
    };
  });

  const unescapeHtml = (s: string) => s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
  const themeRaw = fc.option(fc.oneof({ weight: 4, arbitrary: fc.constantFrom('light', 'dark') }, { weight: 1, arbitrary: fc.constantFrom('Dark', '', 'blue', '<b>') }), { nil: undefined });
  const widgetCase = fc
    .record({ m: model, kind: fc.constantFrom('item' as const, 'user' as const), id: fc.oneof(anyId(known.items), anyId(known.users)), k: kRaw, theme: themeRaw })
    .map(({ m, kind, id, k, theme }): Case => {
      const path = `/widget/${seg(m)}/${kind}s/${seg(id)}${query([['k', k], ['theme', theme]])}`;
      if (isDotSegment(m) || isDotSegment(id)) return noRoute('GET', path);
      const kk = kValue(k, WIDGET_MAX_K);
      const index = kind === 'item' ? n().items : n().users;
      const e =
        !modelNameOk(m) ? err(400, 'bad_model_name')
        : !idOk(id) ? err(400, `bad_${kind}_id`)
        : kk === undefined ? err(400, 'bad_k')
        : theme !== undefined && theme !== 'light' && theme !== 'dark' ? err(400, 'bad_theme')
        : m !== M ? err(404, 'unknown_model')
        // A user the model does not know gets the popular list (never a blank widget); an unknown item is a 404.
        : kind === 'item' && !index.has(id) ? err(404, 'unknown_item')
        : ok();
      return {
        method: 'GET',
        path,
        expect: e,
        html: true,
        check: (body) => {
          const text = body as string;
          const got = [...text.matchAll(/<li><a href="[^"]*" data-edgerec-item="([^"]*)">([^<]*)<\/a><\/li>/g)].map((x) => [unescapeHtml(x[1]), unescapeHtml(x[2])]);
          const want =
            kind === 'item' ? similarItems(n(), n().items.indexOf(id, M), kk!)
            : n().users.has(id) ? recommendForUser(n(), n().users.indexOf(id, M), kk!, true)
            : popularItems(n(), kk!);
          expect(text).toContain(kind === 'user' && !n().users.has(id) ? '<h2 tabindex="-1">Popular</h2>' : '</h2>');
          expect(got.map((g) => g[0])).toEqual(want.map((s) => n().items.ids[s.index]));
          expect(got.map((g) => g[1])).toEqual(want.map((s) => n().itemMeta[s.index].title));
          // No markup from the data: the only tags are the widget's own.
          expect([...new Set([...text.matchAll(/<\/?([a-zA-Z0-9]+)/g)].map((x) => x[1]))].sort()).toEqual(['a', 'h2', 'li', 'ol', 'section', 'style']);
        },
      };
    });

  // ---- POST bodies ----

  /** Ids as JSON values: known (some as integers when numeric), unknown, and wrong types. */
  const jsonId = (pick: () => fc.Arbitrary<string>) =>
    fc.oneof(
      { weight: 30, arbitrary: pick().map((id) => (/^[1-9]\d{0,5}$/.test(id) ? Number(id) : id)) },
      { weight: 2, arbitrary: anyId(pick) },
      { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}), fc.constant(2 ** 60)) },
    );
  const jsonK = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 1, max: 100 }) },
    { weight: 2, arbitrary: fc.oneof(fc.integer({ min: -3, max: 200 }), fc.double({ min: -10, max: 200 }), fc.constantFrom('10', 1e2, 1e400, -0, 100.5, null, true, [10])) },
  );
  /** A body: mostly the route's shape with random values, sometimes anything at all, an extra field or a missing one. */
  const bodyOf = (shape: fc.Arbitrary<Record<string, unknown>>) =>
    fc.oneof(
      { weight: 8, arbitrary: shape },
      { weight: 1, arbitrary: fc.tuple(shape, fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 1 })).map(([b, key, v]) => ({ ...b, [key]: v })) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    );
  /** The body text: JSON of the value, or broken text (truncated, NaN, single quotes, BOM, empty). */
  const bodyText = (value: fc.Arbitrary<unknown>) =>
    fc.oneof(
      { weight: 9, arbitrary: value.map((v) => JSON.stringify(v) ?? '') },
      { weight: 1, arbitrary: value.chain((v) => {
        const text = JSON.stringify(v) ?? '';
        return fc.oneof(
          fc.integer({ min: 0, max: Math.max(0, text.length - 1) }).map((n) => text.slice(0, n)),
          fc.constantFrom('', ' ', 'NaN', '{"k": NaN}', "{'pairs': []}", '\ufeff{}', '{"pairs": [["1", "1"]],}', 'null', '[]', '"text"', '{', '}'),
          fc.string({ unit: 'binary', maxLength: 40 }),
        );
      }) },
    );

  function postCase(route: 'predict' | 'examples' | 'arithmetic', m: string, text: string): Case {
    const path = { predict: `/v1/models/${seg(m)}/predict`, examples: `/v1/models/${seg(m)}/recommendations/from-examples`, arithmetic: `/v1/models/${seg(m)}/items/similar` }[route];
    const parsed = parseBodyText(text);
    // The 64 KB limit applies to every path, before routing.
    if (!parsed.ok && parsed.expect.status === 413) return { method: 'POST', path, body: text, expect: parsed.expect };
    if (isDotSegment(m)) return { ...noRoute('POST', path), body: text };
    if (!parsed.ok) return { method: 'POST', path, body: text, expect: parsed.expect };
    const checked = checkBody(BODY_SPECS[route] as Spec, parsed.value);
    if (!checked.ok) return { method: 'POST', path, body: text, expect: checked.expect };
    const modelError = modelRule(m);
    if (modelError) return { method: 'POST', path, body: text, expect: modelError };
    const v = checked.value as never;
    const semantic = route === 'predict' ? predictSemantics(v) : route === 'examples' ? exampleSemantics(v) : arithmeticSemantics(v);
    return { method: 'POST', path, body: text, ...semantic };
  }

  function predictSemantics(v: { pairs: [string, string][] }): Pick<Case, 'expect' | 'check'> {
    for (let p = 0; p < v.pairs.length; p++) {
      const [u, i] = v.pairs[p];
      if (!n().users.has(u)) return { expect: err(404, 'unknown_user', `body.pairs[${p}][0]`) };
      if (!n().items.has(i)) return { expect: err(404, 'unknown_item', `body.pairs[${p}][1]`) };
    }
    return {
      expect: ok(),
      check: (body) => {
        const b = body as { predictions: { user: string; item: string; rating: number }[] };
        const want = predictRatings(n(), Int32Array.from(v.pairs, ([u]) => n().users.indexOf(u, M)), Int32Array.from(v.pairs, ([, i]) => n().items.indexOf(i, M)));
        expect(b.predictions.map((x) => [x.user, x.item])).toEqual(v.pairs);
        b.predictions.forEach((x, p) => expect(Math.abs(x.rating - want[p])).toBeLessThanOrEqual(2e-5));
      },
    };
  }

  function exampleSemantics(v: { liked: string[]; disliked: string[]; k: number }): Pick<Case, 'expect' | 'check'> {
    for (const list of ['liked', 'disliked'] as const) {
      const j = v[list].findIndex((id) => !n().items.has(id));
      if (j >= 0) return { expect: err(404, 'unknown_item', `body.${list}[${j}]`) };
    }
    const liked = [...new Set(v.liked.map((id) => n().items.indexOf(id, M)))];
    const disliked = [...new Set(v.disliked.map((id) => n().items.indexOf(id, M)))];
    if (liked.some((i) => disliked.includes(i))) return { expect: err(400, 'conflicting_examples') };
    let want: ReturnType<typeof recommendFromExamples>;
    try {
      want = recommendFromExamples(n(), liked, disliked, v.k);
    } catch (e) {
      return { expect: err(400, (e as { code: string }).code) };
    }
    return {
      expect: ok(),
      check: (body) => {
        const b = body as { method: string; best: { id: string; score: number }[]; worst: { id: string; score: number }[] };
        expect(b.method).toBe(want.method);
        near(b.best, want.best, 'best');
        near(b.worst, want.worst, 'worst');
      },
    };
  }

  function arithmeticSemantics(v: { item: string; plus: string[]; minus: string[]; k: number }): Pick<Case, 'expect' | 'check'> {
    if (!n().items.has(v.item)) return { expect: err(404, 'unknown_item', 'body.item') };
    for (const list of ['plus', 'minus'] as const) {
      const j = v[list].findIndex((t) => !n().tags!.index.has(t));
      if (j >= 0) return { expect: err(404, 'unknown_tag', `body.${list}[${j}]`) };
    }
    const q = { item: n().items.indexOf(v.item, M), plus: v.plus.map((t) => n().tags!.index.indexOf(t, M)), minus: v.minus.map((t) => n().tags!.index.indexOf(t, M)) };
    let want: ReturnType<typeof itemArithmetic>;
    try {
      want = itemArithmetic(n(), q, v.k);
    } catch (e) {
      return { expect: err(400, (e as { code: string }).code) };
    }
    return { expect: ok(), check: (body) => near((body as { results: { id: string; score: number }[] }).results, want.results, 'arithmetic') };
  }

  const predictArb = fc
    .record({ m: model, text: bodyText(bodyOf(fc.record({ pairs: fc.array(fc.oneof({ weight: 6, arbitrary: fc.tuple(jsonId(known.users), jsonId(known.items)) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }), { maxLength: 6 }) }, { requiredKeys: [] }))) })
    .map(({ m, text }) => postCase('predict', m, text));
  const examplesArb = fc
    .record({ m: model, text: bodyText(bodyOf(fc.record({ liked: fc.array(jsonId(known.items), { maxLength: 5 }), disliked: fc.array(jsonId(known.items), { maxLength: 5 }), k: jsonK }, { requiredKeys: [] }))) })
    .map(({ m, text }) => postCase('examples', m, text));
  const arithmeticArb = fc
    .record({ m: model, text: bodyText(bodyOf(fc.record({ item: jsonId(known.items), plus: fc.array(jsonId(known.tags), { maxLength: 3 }), minus: fc.array(jsonId(known.tags), { maxLength: 3 }), k: jsonK }, { requiredKeys: ['item'] }))) })
    .map(({ m, text }) => postCase('arithmetic', m, text));

  return { model, noRoute, postCase, similarCase, recsCase, visitorCase, popularCase, ratingCase, tagsCase, widgetCase, predictArb, examplesArb, arithmeticArb };
}

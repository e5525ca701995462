// The route fuzz's GET routes (similar items, visitors, popular, a user's recommendations, a rating, similar tags,
// the widget): each case with the answer the README's rules give and, for a 200, a check against shared/.
import fc from 'fast-check';
import { expect } from 'vitest';
import { buildItemFilter, recommendForUserWhere, similarItemsWhere, topKWhere } from '../../shared/model/filters.js';
import { popularItems } from '../../shared/model/popular.js';
import { recommendForItems } from '../../shared/model/visitor.js';
import { predictRatings, recommendForUser, similarItems } from '../../shared/model/queries.js';
import { similarTags } from '../../shared/model/tag-vectors.js';
import { err, idOk, isDotSegment, kValue, modelNameOk, ok, seg, WIDGET_MAX_K } from './fuzz-oracle.js';
import { filterParams, filterRule, noRoute, query, type Case, type FuzzContext } from './fuzz-rules.js';

/** GET /v1/models/:m/items/:i/similar, HEAD too. */
export function similarCases(c: FuzzContext) {
  const { M, n, near, known, anyId, model, kRaw, maybeFilters, modelRule, filterLookup } = c;
  return fc.record({ m: model, item: anyId(known.items), k: kRaw, f: maybeFilters, head: fc.boolean() }).map(({ m, item, k, f, head }): Case => {
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
}

/** GET /v1/models/:m/recommendations?items=. */
export function visitorCases(c: FuzzContext) {
  const { M, n, near, known, anyId, model, kRaw, maybeFilters, modelRule, filterLookup } = c;
  /** ?items=: comma lists of 1..100 ids (empty entries refused), known ones mostly, sometimes hostile or too many. */
  const itemsRaw = fc.option(
    fc.oneof(
      { weight: 8, arbitrary: fc.array(anyId(known.items), { minLength: 1, maxLength: 4 }).map((a) => a.join(',')) },
      { weight: 1, arbitrary: fc.constantFrom('', ',', '1,,2', ' ', '1,'.repeat(101) + '1') },
    ),
    { nil: undefined },
  );
  return fc.record({ m: model, items: itemsRaw, k: kRaw, f: maybeFilters }).map(({ m, items, k, f }): Case => {
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
}

/** GET /v1/models/:m/popular. */
export function popularCases(c: FuzzContext) {
  const { n, near, model, kRaw, maybeFilters, modelRule, filterLookup } = c;
  return fc.record({ m: model, k: kRaw, f: maybeFilters }).map(({ m, k, f }): Case => {
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
}

/** GET /v1/models/:m/users/:u/recommendations. */
export function recsCases(c: FuzzContext) {
  const { M, n, near, known, anyId, model, kRaw, maybeFilters, modelRule, filterLookup } = c;
  const seenRaw = fc.option(fc.oneof({ weight: 4, arbitrary: fc.constantFrom('true', 'false', '1', '0') }, { weight: 1, arbitrary: fc.constantFrom('yes', 'TRUE', '', 'no', ' true') }), { nil: undefined });
  return fc.record({ m: model, user: anyId(known.users), k: kRaw, seen: seenRaw, f: maybeFilters }).map(({ m, user, k, seen, f }): Case => {
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
}

/** GET /v1/models/:m/users/:u/items/:i/rating. */
export function ratingCases(c: FuzzContext) {
  const { M, n, known, anyId, model, modelRule } = c;
  return fc.record({ m: model, user: anyId(known.users), item: anyId(known.items) }).map(({ m, user, item }): Case => {
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
}

/** GET /v1/models/:m/tags/:t/similar. */
export function tagsCases(c: FuzzContext) {
  const { M, n, known, anyId, model, kRaw, modelRule } = c;
  return fc.record({ m: model, tag: anyId(known.tags), k: kRaw }).map(({ m, tag, k }): Case => {
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
}

/** GET /widget/:m/items/:i and /widget/:m/users/:u: the HTML list and nothing but the widget's own markup. */
export function widgetCases(c: FuzzContext) {
  const { M, n, known, anyId, model, kRaw } = c;
  const unescapeHtml = (s: string) => s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
  const themeRaw = fc.option(fc.oneof({ weight: 4, arbitrary: fc.constantFrom('light', 'dark') }, { weight: 1, arbitrary: fc.constantFrom('Dark', '', 'blue', '<b>') }), { nil: undefined });
  return fc
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
}

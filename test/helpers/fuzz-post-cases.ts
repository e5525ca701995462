// The route fuzz's POST routes (predict, from-examples, item arithmetic): bodies that are mostly the route's shape,
// sometimes anything, sometimes broken text; each case with the README's answer and, for a 200, a check against shared/.
import fc from 'fast-check';
import { expect } from 'vitest';
import { itemArithmetic } from '../../shared/model/arithmetic.js';
import { recommendFromExamples } from '../../shared/model/from-examples.js';
import { predictRatings } from '../../shared/model/queries.js';
import { BODY_SPECS, checkBody, err, isDotSegment, ok, parseBodyText, seg, type Spec } from './fuzz-oracle.js';
import { noRoute, type Case, type FuzzContext } from './fuzz-rules.js';

/** Ids as JSON values: known (some as integers when numeric), unknown, and wrong types. */
const jsonId = (anyId: FuzzContext['anyId'], pick: () => fc.Arbitrary<string>) =>
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

/** The POST routes' arbitraries for the context's model; postCase builds one case from a model name and a body text. */
export function postCases(c: FuzzContext) {
  const { known, anyId, model } = c;
  const predictArb = fc
    .record({ m: model, text: bodyText(bodyOf(fc.record({ pairs: fc.array(fc.oneof({ weight: 6, arbitrary: fc.tuple(jsonId(anyId, known.users), jsonId(anyId, known.items)) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }), { maxLength: 6 }) }, { requiredKeys: [] }))) })
    .map(({ m, text }) => postCase(c, 'predict', m, text));
  const examplesArb = fc
    .record({ m: model, text: bodyText(bodyOf(fc.record({ liked: fc.array(jsonId(anyId, known.items), { maxLength: 5 }), disliked: fc.array(jsonId(anyId, known.items), { maxLength: 5 }), k: jsonK }, { requiredKeys: [] }))) })
    .map(({ m, text }) => postCase(c, 'examples', m, text));
  const arithmeticArb = fc
    .record({ m: model, text: bodyText(bodyOf(fc.record({ item: jsonId(anyId, known.items), plus: fc.array(jsonId(anyId, known.tags), { maxLength: 3 }), minus: fc.array(jsonId(anyId, known.tags), { maxLength: 3 }), k: jsonK }, { requiredKeys: ['item'] }))) })
    .map(({ m, text }) => postCase(c, 'arithmetic', m, text));

  return { postCase: (route: 'predict' | 'examples' | 'arithmetic', m: string, text: string) => postCase(c, route, m, text), predictArb, examplesArb, arithmeticArb };
}

/** One POST case: the body's checks in the order the routes apply them, then what the model says. */
function postCase(c: FuzzContext, route: 'predict' | 'examples' | 'arithmetic', m: string, text: string): Case {
  const path = { predict: `/v1/models/${seg(m)}/predict`, examples: `/v1/models/${seg(m)}/recommendations/from-examples`, arithmetic: `/v1/models/${seg(m)}/items/similar` }[route];
  const parsed = parseBodyText(text);
  // The 64 KB limit applies to every path, before routing.
  if (!parsed.ok && parsed.expect.status === 413) return { method: 'POST', path, body: text, expect: parsed.expect };
  if (isDotSegment(m)) return { ...noRoute('POST', path), body: text };
  if (!parsed.ok) return { method: 'POST', path, body: text, expect: parsed.expect };
  const checked = checkBody(BODY_SPECS[route] as Spec, parsed.value);
  if (!checked.ok) return { method: 'POST', path, body: text, expect: checked.expect };
  const modelError = c.modelRule(m);
  if (modelError) return { method: 'POST', path, body: text, expect: modelError };
  const v = checked.value as never;
  const semantic = route === 'predict' ? predictSemantics(c, v) : route === 'examples' ? exampleSemantics(c, v) : arithmeticSemantics(c, v);
  return { method: 'POST', path, body: text, ...semantic };
}

function predictSemantics(c: FuzzContext, v: { pairs: [string, string][] }): Pick<Case, 'expect' | 'check'> {
  const { M, n } = c;
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

function exampleSemantics(c: FuzzContext, v: { liked: string[]; disliked: string[]; k: number }): Pick<Case, 'expect' | 'check'> {
  const { M, n, near } = c;
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

function arithmeticSemantics(c: FuzzContext, v: { item: string; plus: string[]; minus: string[]; k: number }): Pick<Case, 'expect' | 'check'> {
  const { M, n, near } = c;
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

// Request generators for the route fuzz (test/robustness/fuzz-routes.test.ts): fast-check arbitraries of requests to
// every route, each with the answer the README's rules give (fuzz-oracle.ts) and, for a 200, a check of the body
// against what shared/ computes on the Node side for the same artifact. The routes' cases are in fuzz-get-cases.ts
// and fuzz-post-cases.ts, what they share in fuzz-rules.ts.
import type { LoadedModel } from '../../shared/model/loaded.js';
import { popularCases, ratingCases, recsCases, similarCases, tagsCases, visitorCases, widgetCases } from './fuzz-get-cases.js';
import { postCases } from './fuzz-post-cases.js';
import { fuzzContext, noRoute } from './fuzz-rules.js';
import type { HandmadeModel } from './handmade-artifact.js';

export { API_ROUTES, OTHER_MODELS, TRICKS, type Case } from './fuzz-rules.js';

/**
 * The arbitraries for model `M` (published from `def`); `node()` is the same artifact loaded on the Node side, read
 * only when a case is generated (after the test's beforeAll).
 */
export function routeCases(M: string, def: HandmadeModel, n: () => LoadedModel) {
  const c = fuzzContext(M, def, n);
  const { postCase, predictArb, examplesArb, arithmeticArb } = postCases(c);
  return {
    model: c.model,
    noRoute,
    postCase,
    similarCase: similarCases(c),
    recsCase: recsCases(c),
    visitorCase: visitorCases(c),
    popularCase: popularCases(c),
    ratingCase: ratingCases(c),
    tagsCase: tagsCases(c),
    widgetCase: widgetCases(c),
    predictArb,
    examplesArb,
    arithmeticArb,
  };
}

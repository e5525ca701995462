// Which version answers a request: CURRENT's, or under an A/B split (<model>/SPLIT) the version of the variant the
// request's user or visitor is assigned to (shared/split.ts). The model store keeps each variant's version resident.
import type { Context } from 'hono';
import { BadRequestError, ModelUnavailableError } from '../shared/errors.js';
import { VARIANT_NAME, VISITOR_ID } from '../shared/events.js';
import type { LoadedModel } from '../shared/model/loaded.js';
import { assignVariant, type SplitFile, type SplitUnit, type SplitVariant } from '../shared/split.js';
import type { Env } from './env.js';
import { ModelTooLargeError } from './model-budget.js';
import { answerVersion, background, currentSplit, withModel, type Background } from './model-store.js';

/** Splits whose variant could not be loaded (missing, refused, over the budget), by model: not applied until SPLIT changes. */
const refused = new Map<string, { split: string; message: string; at: string }>();
const splitKey = (s: SplitFile) => JSON.stringify([s.variants, s.salt]);

/**
 * Runs `use` on the version that answers `unit` for `model`, with the variant it is (undefined without a split).
 * Without a split this is withModel on CURRENT, exactly. A split whose variant version cannot be resident beside the
 * others (or cannot be loaded) is refused: every request then gets CURRENT, without a variant, and /healthz says why.
 */
export async function withVariantModel<T>(
  env: Env,
  model: string,
  unit: SplitUnit,
  use: (m: LoadedModel, variant: SplitVariant | undefined) => T,
  bg?: Background,
): Promise<T> {
  const first = await withModel(env, model, (m) => {
    const split = currentSplit(model);
    if (!split || refused.get(model)?.split === splitKey(split)) return { done: true as const, value: use(m, undefined) };
    const variant = assignVariant(split, model, unit);
    if (variant.version === m.version) return { done: true as const, value: use(m, variant) };
    return { done: false as const, split, variant };
  }, bg);
  if (first.done) return first.value;
  try {
    return await withModel(env, model, (m) => use(m, first.variant), bg, first.variant.version);
  } catch (e) {
    if (!(e instanceof ModelTooLargeError || e instanceof ModelUnavailableError)) throw e;
    refused.set(model, { split: splitKey(first.split), message: e.message, at: new Date().toISOString() });
    console.error(`edgerec: the split of ${model} is not applied: ${e.message}`);
    return withModel(env, model, (m) => use(m, undefined), bg);
  }
}

/** Splits refused in this isolate, for /healthz. */
export function refusedSplits() {
  return [...refused.entries()].map(([model, r]) => ({ model, message: r.message, at: r.at }));
}

/**
 * Who a request is for: the user of the path (users/:user routes), else `?visitor=` (or the X-Edgerec-Visitor header),
 * and a `?variant=` it names (the widget's links carry one). Malformed values are a 400 naming them.
 */
export function requestUnit(c: Context): SplitUnit {
  const user = c.req.param('user');
  const visitor = c.req.query('visitor') ?? c.req.header('X-Edgerec-Visitor');
  const variant = c.req.query('variant');
  if (visitor !== undefined && !VISITOR_ID.test(visitor)) {
    throw new BadRequestError(`visitor must be 1..128 printable ASCII characters without spaces, got ${JSON.stringify(visitor.slice(0, 80))}`, 'bad_visitor');
  }
  if (variant !== undefined && !VARIANT_NAME.test(variant)) {
    throw new BadRequestError(`variant must be 1..32 of a-z, 0-9, '-' or '_' (as an answer's "variant" names it), got ${JSON.stringify(variant.slice(0, 80))}`, 'bad_variant');
  }
  return { ...(user !== undefined ? { user } : {}), ...(visitor !== undefined ? { visitor } : {}), ...(variant !== undefined ? { variant } : {}) };
}

/** What every answer names: the version and, under a split, the variant. */
export function versionView(m: LoadedModel, variant: SplitVariant | undefined): { version: string; variant?: string } {
  return variant ? { version: m.version, variant: variant.name } : { version: m.version };
}

/** The ETag seed of an answer: the version (with its hidden set) and the variant, which the body names. */
export function answerTag(m: LoadedModel, variant: SplitVariant | undefined): string {
  return variant ? `${answerVersion(m)}+variant.${variant.name}` : answerVersion(m);
}

/** withVariantModel for a route's request: its unit, its background. */
export function withRequestModel<T>(c: Context<{ Bindings: Env }>, model: string, use: (m: LoadedModel, variant: SplitVariant | undefined) => T): Promise<T> {
  return withVariantModel(c.env, model, requestUnit(c), use, background(c));
}

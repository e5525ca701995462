import { BadRequestError } from '../shared/errors.js';
import { MAX_K } from '../shared/api/answers.js';
import { checkId } from '../shared/model/ids.js';

export { MAX_K };

/** `k`: how many results, an integer 1..100 (default 10). */
export function parseK(raw: string | undefined, fallback = 10): number {
  if (raw === undefined) return fallback;
  const k = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) {
    throw new BadRequestError(`k must be an integer from 1 to ${MAX_K}, got ${JSON.stringify(raw.slice(0, 40))}`, 'bad_k');
  }
  return k;
}

export function parseBool(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new BadRequestError(`${name} must be true or false, got ${JSON.stringify(raw.slice(0, 40))}`, `bad_${name}`);
}

export const MAX_FILTER_TAGS = 50;
export const MAX_EXCLUDED = 500;

/**
 * `?genre=` / `?tag=` (aliases; repeatable or comma-separated; an item passes with any of them, matched
 * case-sensitively against its tags) and `?exclude=` (original item ids, likewise). `queries` is c.req.queries.
 */
export function parseFilterQuery(queries: (name: string) => string[] | undefined): { tags: string[]; exclude: string[] } {
  const list = (name: string) =>
    (queries(name) ?? []).flatMap((raw) => {
      const parts = raw.split(',').map((p) => p.trim());
      if (parts.some((p) => p === '')) {
        throw new BadRequestError(`${name} must be a comma-separated list without empty entries, got ${JSON.stringify(raw.slice(0, 80))}`, `bad_${name}`);
      }
      return parts;
    });
  const tags = [...list('genre'), ...list('tag')];
  const exclude = list('exclude');
  if (tags.length > MAX_FILTER_TAGS) {
    throw new BadRequestError(`at most ${MAX_FILTER_TAGS} genre/tag filters are accepted, got ${tags.length}`, 'bad_tag');
  }
  if (exclude.length > MAX_EXCLUDED) {
    throw new BadRequestError(`at most ${MAX_EXCLUDED} excluded ids are accepted, got ${exclude.length}`, 'bad_exclude');
  }
  for (const t of tags) checkId('tag', t);
  for (const id of exclude) checkId('item', id);
  return { tags, exclude };
}

/** OpenAPI descriptions of the query parameters above; the parsers enforce the same bounds. */
export const QUERY_PARAMS = {
  k: { name: 'k', in: 'query', description: `how many results (1..${MAX_K})`, schema: { type: 'integer', minimum: 1, maximum: MAX_K, default: 10 } },
  excludeSeen: {
    name: 'exclude_seen',
    in: 'query',
    description: 'leave out the items the user rated in training (true|false|1|0)',
    schema: { type: 'boolean', default: true },
  },
  explain: {
    name: 'explain',
    in: 'query',
    description: 'add `because` to every result: the one to three of the basis items (the user\'s rated items, or the given ones) most similar to it',
    schema: { type: 'boolean', default: false },
  },
  items: {
    name: 'items',
    in: 'query',
    required: true,
    description: "the visitor's viewed or liked item ids, comma-separated (at most 100); they are excluded from the answer; an unknown id is a 404",
    schema: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 100 },
    style: 'form',
    explode: false,
  },
  genre: {
    name: 'genre',
    in: 'query',
    description: `only items carrying any of these tags (case-sensitive, as the items' tags are spelt); repeat it or separate with commas; at most ${MAX_FILTER_TAGS} with tag`,
    schema: { type: 'array', items: { type: 'string' } },
    style: 'form',
    explode: true,
  },
  tag: {
    name: 'tag',
    in: 'query',
    description: 'the same filter as genre (the two are merged)',
    schema: { type: 'array', items: { type: 'string' } },
    style: 'form',
    explode: true,
  },
  exclude: {
    name: 'exclude',
    in: 'query',
    description: `item ids to leave out (comma-separated or repeated, at most ${MAX_EXCLUDED}); an unknown id is a 404`,
    schema: { type: 'array', items: { type: 'string' }, maxItems: MAX_EXCLUDED },
    style: 'form',
    explode: false,
  },
} as const;

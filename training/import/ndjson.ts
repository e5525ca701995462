import { readFile } from 'node:fs/promises';
import { DataError } from '../data/errors.js';
import type { FactorTable, ImportedFactors } from './tables.js';

/**
 * Vectors as NDJSON, one `{"id": "...", "values": [...], "metadata": {...}}` per line: what `wrangler vectorize
 * insert` takes and what `npm run export -- --to vectorize-ndjson` writes (Gorse and other bulk loaders use the same
 * shape). `metadata.title` and `metadata.tags` (a list, or a `|`-separated string) become the item's title and tags;
 * an optional number `bias` per line is its bias.
 */
export async function readNdjsonTable(file: string): Promise<{ table: FactorTable; meta: { title?: string; tags?: string[] }[] }> {
  const text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  const ids: string[] = [];
  const rows: number[] = [];
  const biases: number[] = [];
  const meta: { title?: string; tags?: string[] }[] = [];
  let dim = 0;
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const fail: (problem: string, hint?: string) => never = (problem, hint = 'expected {"id": "...", "values": [numbers], "metadata": {...}} per line') => {
      throw new DataError(file, i + 1, line, problem, hint);
    };
    let o: { id?: unknown; values?: unknown; metadata?: Record<string, unknown>; bias?: unknown } = {};
    try {
      o = JSON.parse(line);
    } catch (e) {
      fail(`is not JSON (${(e as Error).message.split('\n')[0]})`);
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) fail('is not a JSON object');
    if (typeof o.id !== 'string' && !(typeof o.id === 'number' && Number.isSafeInteger(o.id))) fail(`id is ${JSON.stringify(o.id)}`, 'expected a string (or an integer) id');
    const values = o.values as unknown[];
    if (!Array.isArray(values) || values.length === 0) fail(`values is ${JSON.stringify(values)?.slice(0, 40)}`, 'expected a non-empty list of numbers');
    if (dim === 0) dim = values.length;
    if (values.length !== dim) fail(`has ${values.length} values, expected ${dim} like the first line`);
    const bad = values.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0) fail(`value ${bad} is ${JSON.stringify(values[bad])}`, 'every value must be a finite number');
    if (o.bias !== undefined && (typeof o.bias !== 'number' || !Number.isFinite(o.bias))) fail(`bias is ${JSON.stringify(o.bias)}`, 'expected a finite number');
    ids.push(String(o.id));
    rows.push(...(values as number[]));
    biases.push(o.bias as number);
    const m = o.metadata;
    const tags = m?.tags;
    meta.push({
      ...(typeof m?.title === 'string' ? { title: m.title } : {}),
      ...(Array.isArray(tags) ? { tags: tags.map(String) } : typeof tags === 'string' && tags !== '' ? { tags: tags.split('|') } : {}),
    });
  }
  if (ids.length === 0) throw new DataError(file, undefined, undefined, 'has no vectors', 'expected {"id", "values"} lines');
  const withBias = biases.filter((b) => b !== undefined).length;
  if (withBias !== 0 && withBias !== ids.length) throw new DataError(file, undefined, undefined, `${withBias} of ${ids.length} lines have a bias`, 'give every line a bias, or none');
  return { table: { ids, dim, values: Float32Array.from(rows), ...(withBias ? { bias: Float32Array.from(biases) } : {}) }, meta };
}

/** Item vectors from `file`, users from `usersFile` (same shape) when given. */
export async function readNdjsonFactors(file: string, usersFile: string | undefined): Promise<ImportedFactors> {
  const items = await readNdjsonTable(file);
  const users = usersFile ? (await readNdjsonTable(usersFile)).table : undefined;
  return { format: 'ndjson', files: [file, ...(usersFile ? [usersFile] : [])], items: items.table, ...(users ? { users } : {}), itemMeta: items.meta };
}

import { IMPORT_FORMATS, type ImportFormat } from '../../shared/artifact/schema.js';
import { loadAny } from '../data/load.js';
import { tagNamesOf } from '../data/item-tag-dataset.js';
import type { ItemTagDataset, RatingsDataset } from '../data/types.js';
import { UsageError } from '../options.js';
import type { ItemCatalogue } from './imported-dataset.js';
import { readNdjsonFactors } from './ndjson.js';
import { readNpyFactors, readNpzFactors } from './npz.js';
import { readSafetensorsFactors } from './safetensors.js';
import { readSparkAls } from './spark-als.js';
import type { ImportedFactors } from './tables.js';

export interface SourceOptions {
  /** Item ids in row order (npy: required; npz, safetensors: instead of row numbers). */
  ids?: string;
  /** User vectors in a file of their own (npy, ndjson). */
  users?: string;
  userIds?: string;
  /** safetensors: the tensor of item vectors, and of user vectors. */
  tensor?: string;
  userTensor?: string;
}

export function importFormat(v: string | undefined): ImportFormat {
  if (!v) throw new UsageError(`--from is required: one of ${IMPORT_FORMATS.join(', ')} (see --help)`);
  if (!(IMPORT_FORMATS as readonly string[]).includes(v)) throw new UsageError(`--from must be one of ${IMPORT_FORMATS.join(', ')}, got ${JSON.stringify(v)}`);
  return v as ImportFormat;
}

/** Options that only some readers take: naming one for another reader is a usage error, not silently ignored. */
const TAKES: Record<ImportFormat, (keyof SourceOptions)[]> = {
  'spark-als': [],
  npz: ['ids', 'userIds'],
  npy: ['ids', 'users', 'userIds'],
  safetensors: ['ids', 'tensor', 'userTensor', 'userIds'],
  ndjson: ['users'],
};

const FLAG: Record<keyof SourceOptions, string> = { ids: '--ids', users: '--users', userIds: '--user-ids', tensor: '--tensor', userTensor: '--user-tensor' };

/** Reads the vectors with the named reader. */
export function readSource(format: ImportFormat, path: string, o: SourceOptions): Promise<ImportedFactors> {
  const extra = (Object.keys(o) as (keyof SourceOptions)[]).filter((k) => o[k] !== undefined && !TAKES[format].includes(k));
  if (extra.length) throw new UsageError(`${extra.map((k) => FLAG[k]).join(', ')} does not apply to --from ${format} (it takes ${TAKES[format].map((k) => FLAG[k]).join(', ') || 'no reader options'})`);
  switch (format) {
    case 'spark-als':
      return readSparkAls(path);
    case 'npz':
      return readNpzFactors(path, { items: o.ids, users: o.userIds });
    case 'npy':
      return readNpyFactors(path, o.ids, o.users ? { file: o.users, ids: o.userIds } : undefined);
    case 'safetensors':
      return readSafetensorsFactors(path, o);
    case 'ndjson':
      return readNdjsonFactors(path, o.users);
  }
}

/** `--items`: titles and tags by id from any item or ratings format train reads (MovieLens u.item/movies.csv come with their folder). */
export async function readCatalogue(path: string, format = 'auto'): Promise<ItemCatalogue> {
  const loaded = await loadAny(path, format);
  const out: ItemCatalogue = new Map();
  if (loaded.kind === 'ratings') {
    const ds = loaded.dataset as RatingsDataset;
    ds.itemIds.forEach((id, i) => out.set(id, { title: ds.itemMeta[i].title, tags: ds.itemMeta[i].tags }));
  } else {
    const ds = loaded.dataset as ItemTagDataset;
    const tags = tagNamesOf(ds);
    ds.itemIds.forEach((id, i) => out.set(id, { title: ds.itemTitles[i], tags: tags[i] }));
  }
  return out;
}

import { open } from 'node:fs/promises';
import type { DecodedArtifact } from '../../shared/artifact/decode.js';
import { TENSOR_NAMES } from '../../shared/model/loaded.js';
import { UsageError } from '../options.js';

/**
 * Vectorize's limits (developers.cloudflare.com/vectorize/platform/limits): what an export must fit to be inserted.
 * `perInsert` is wrangler's own cap on one `vectorize insert` run (VECTORIZE_MAX_UPSERT_VECTOR_RECORDS in wrangler 4),
 * so larger catalogues are written as several files, one insert each.
 */
export const VECTORIZE_LIMITS = {
  dimensions: 1536,
  idBytes: 64,
  metadataBytes: 10 * 1024,
  vectorsPerIndex: 10_000_000,
  perInsert: 100_000,
} as const;

export const VectorizeMetric = { cosine: 'cosine', dotProduct: 'dot-product', euclidean: 'euclidean' } as const;
export type VectorizeMetric = (typeof VectorizeMetric)[keyof typeof VectorizeMetric];

const utf8 = new TextEncoder();

export interface CappedMetadata {
  metadata: { title: string; tags?: string[] };
  /** Whether tags were dropped or the title cut to fit metadataBytes. */
  capped: boolean;
}

/**
 * An item's metadata within Vectorize's 10 KiB per vector (as UTF-8 JSON): tags are dropped from the end first, then
 * the title is cut (on a code point) until it fits. Ids are never cut (a cut id would name another item or none).
 */
export function capMetadata(title: string, tags: readonly string[], limit: number = VECTORIZE_LIMITS.metadataBytes): CappedMetadata {
  const size = (m: object) => utf8.encode(JSON.stringify(m)).length;
  let kept = [...tags];
  const make = (t: string) => (kept.length ? { title: t, tags: kept } : { title: t });
  let capped = false;
  while (kept.length && size(make(title)) > limit) {
    kept = kept.slice(0, -1);
    capped = true;
  }
  let t = title;
  if (size(make(t)) > limit) {
    const chars = [...t];
    let lo = 0;
    let hi = chars.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (size(make(chars.slice(0, mid).join(''))) <= limit) lo = mid;
      else hi = mid - 1;
    }
    t = chars.slice(0, lo).join('');
    capped = true;
  }
  return { metadata: make(t), capped };
}

export interface VectorizeExport {
  files: string[];
  vectors: number;
  dimensions: number;
  metric: VectorizeMetric;
  /** Items whose metadata was cut to fit. */
  cappedMetadata: number;
  /** Whether the item bias rides along as a last dimension (dot-product on a biased model: query with [user, 1]). */
  biasDimension: boolean;
  commands: string[];
}

/** `<out>` when it fits one insert, else `<out minus .ndjson>-0001.ndjson`, ... */
export function partNames(out: string, vectors: number): string[] {
  const parts = Math.max(1, Math.ceil(vectors / VECTORIZE_LIMITS.perInsert));
  if (parts === 1) return [out];
  const stem = out.replace(/\.(nd)?jsonl?$/i, '');
  return Array.from({ length: parts }, (_, k) => `${stem}-${String(k + 1).padStart(4, '0')}.ndjson`);
}

/**
 * The artifact's item vectors (dequantised exactly as the Worker reads them) as `wrangler vectorize insert` NDJSON:
 * `{"id", "values", "metadata": {"title", "tags"}}` per line. Cosine by default (similar items); `dot-product` on a
 * model with item biases appends the bias as a last dimension, so u.v + b_i is one dot product with [u, 1].
 */
export async function exportVectorize(a: DecodedArtifact, out: string, indexName: string, metric: VectorizeMetric): Promise<VectorizeExport> {
  const table = a.tensors.get(TENSOR_NAMES.itemFactors);
  if (!table) throw new UsageError('the artifact has no item_factors to export');
  const [n, d] = table.shape;
  const bias = metric === VectorizeMetric.dotProduct ? a.tensors.get(TENSOR_NAMES.itemBias)?.data : undefined;
  const dims = d + (bias ? 1 : 0);
  if (dims > VECTORIZE_LIMITS.dimensions) throw new UsageError(`the item vectors have ${dims} dimensions; a Vectorize index takes at most ${VECTORIZE_LIMITS.dimensions}`);
  if (n > VECTORIZE_LIMITS.vectorsPerIndex) throw new UsageError(`${n} items exceed Vectorize's ${VECTORIZE_LIMITS.vectorsPerIndex.toLocaleString('en')} vectors per index`);
  const items = a.items.items;
  const long = items.find((it) => utf8.encode(it.id).length > VECTORIZE_LIMITS.idBytes);
  if (long) throw new UsageError(`item id ${JSON.stringify(long.id.slice(0, 80))} is ${utf8.encode(long.id).length} bytes; Vectorize ids are at most ${VECTORIZE_LIMITS.idBytes} bytes (map the ids to shorter ones before training or importing)`);
  const values = table.data;
  const files = partNames(out, n);
  let capped = 0;
  for (const [k, file] of files.entries()) {
    const fh = await open(file, 'w');
    try {
      const lines: string[] = [];
      const flush = async () => {
        if (lines.length) await fh.write(lines.join(''));
        lines.length = 0;
      };
      const end = Math.min(n, (k + 1) * VECTORIZE_LIMITS.perInsert);
      for (let i = k * VECTORIZE_LIMITS.perInsert; i < end; i++) {
        const row = Array.from(values.subarray(i * d, (i + 1) * d));
        if (bias) row.push(bias[i]);
        const m = capMetadata(items[i].title, items[i].tags ?? []);
        if (m.capped) capped++;
        lines.push(JSON.stringify({ id: items[i].id, values: row, metadata: m.metadata }) + '\n');
        if (lines.length >= 4096) await flush();
      }
      await flush();
    } finally {
      await fh.close();
    }
  }
  const commands = [
    `npx wrangler vectorize create ${indexName} --dimensions=${dims} --metric=${metric}`,
    ...files.map((f) => `npx wrangler vectorize insert ${indexName} --file=${f}`),
  ];
  return { files, vectors: n, dimensions: dims, metric, cappedMetadata: capped, biasDimension: bias !== undefined, commands };
}

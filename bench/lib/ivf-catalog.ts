// Coarse indexes (shared/model/ivf.ts) built the way an exporter would: spherical k-means on the float model's
// unit item vectors, then the smallest probe count that reaches the recall target against exact search on the
// served (int8) weights.
import type { DecodedArtifact } from '../../shared/artifact/decode.js';
import { encodeTensors, packArtifact } from '../../shared/artifact/encode.js';
import { DType, type Manifest } from '../../shared/artifact/schema.js';
import { buildIvf, IVF_TENSORS, type IvfIndex } from '../../shared/model/ivf.js';
import { loadModel, normalizeRows, type LoadedModel } from '../../shared/model/loaded.js';
import { similarItems } from '../../shared/model/queries.js';
import { mfTensors } from '../../training/export/mf-artifact.js';
import { useWasmBackend } from '../../training/tf-node.js';
import type { Catalog, EncodedCatalog } from './catalog.js';
import { pickIndex } from './query-impls.js';

export interface IvfTuning {
  parts: number;
  probe: number;
  /** recall@10 against exact search on the same served weights, at the chosen probe. */
  recall: number;
  /** Mean candidates scored per query at that probe. */
  candidates: number;
  buildSeconds: number;
  curve: { probe: number; recall: number; candidates: number }[];
  centroids: Float32Array;
  assign: Int32Array;
}

/** Items in the partitions a query for item i probes (the same centroid ranking ivfSimilar makes). */
function candidates(ivf: IvfIndex, i: number): number {
  const d = ivf.dim;
  const at = ivf.position[i] * d;
  const scores = Array.from({ length: ivf.parts }, (_, p) => {
    let s = 0;
    for (let c = 0; c < d; c++) s += ivf.codes[at + c] * ivf.centroids[p * d + c];
    return [s, p] as const;
  }).sort((a, b) => b[0] - a[0]);
  return scores.slice(0, ivf.probe).reduce((n, [, p]) => n + ivf.offsets[p + 1] - ivf.offsets[p], 0);
}

const PROBES = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128];

/** The served artifact plus an index, as loadModel sees it (no re-encoding needed to try a probe count). */
function withIndex(a: DecodedArtifact, centroids: Float32Array, assign: Int32Array, parts: number, probe: number): DecodedArtifact {
  const d = centroids.length / parts;
  const tensors = new Map(a.tensors);
  tensors.set(IVF_TENSORS.centroids, { shape: [parts, d], dtype: DType.f32, data: centroids });
  tensors.set(IVF_TENSORS.assign, { shape: [assign.length], dtype: DType.f32, data: Float32Array.from(assign) });
  const manifest = { ...a.manifest, model: { ...a.manifest.model, hyper: { ...a.manifest.model.hyper, ivfProbe: probe, ivfPartitions: parts } } };
  return { ...a, manifest, tensors };
}

/** Fits the index on `floatItems` ([n, d] row-major) and picks the probe count for `targetRecall` on `served`. */
export async function tuneIvf(served: DecodedArtifact, floatItems: Float32Array, n: number, d: number, opts: { targetRecall: number; queries: number }): Promise<IvfTuning> {
  await useWasmBackend();
  const t0 = performance.now();
  const parts = Math.max(2, Math.round(2 * Math.sqrt(n)));
  const { centroids, assign } = buildIvf(normalizeRows(floatItems, n, d), n, d, { parts, iterations: 8, seed: 7 });
  const buildSeconds = (performance.now() - t0) / 1000;
  const queries = Array.from({ length: Math.min(n, opts.queries) }, (_, k) => pickIndex(k + 100_000, n));
  const exact = loadModel('exact', 'v', served);
  const truth = queries.map((i) => new Set(similarItems(exact, i, 10).map((s) => s.index)));
  exact.dispose();
  const curve: IvfTuning['curve'] = [];
  for (const probe of PROBES.filter((p) => p <= parts)) {
    const m: LoadedModel = loadModel('ivf', 'v', withIndex(served, centroids, assign, parts, probe));
    try {
      let hits = 0;
      let cands = 0;
      queries.forEach((i, k) => {
        hits += similarItems(m, i, 10).filter((s) => truth[k].has(s.index)).length / truth[k].size;
        cands += candidates(m.ivf!, i);
      });
      curve.push({ probe, recall: hits / queries.length, candidates: Math.round(cands / queries.length) });
    } finally {
      m.dispose();
    }
    if (curve[curve.length - 1].recall >= opts.targetRecall) break;
  }
  const chosen = curve[curve.length - 1];
  return { parts, probe: chosen.probe, recall: chosen.recall, candidates: chosen.candidates, buildSeconds, curve, centroids, assign };
}

/** A synthetic catalogue encoded with its index (int8 tables, f32 index tensors, the probe in model.hyper). */
export async function encodeWithIvf(cat: Catalog, t: IvfTuning): Promise<EncodedCatalog> {
  const { nItems: n, dim: d } = cat.params;
  const enc = await encodeTensors([
    ...mfTensors(cat.params, 'q8', true),
    { name: IVF_TENSORS.centroids, data: t.centroids, shape: [t.parts, d], dtype: DType.f32 },
    { name: IVF_TENSORS.assign, data: Float32Array.from(t.assign), shape: [n], dtype: DType.f32 },
  ]);
  const manifest: Manifest = {
    format: 'edgerec-artifact',
    formatVersion: 1,
    model: { kind: 'mf', hyper: { dim: d, quantization: 'q8', synthetic: true, ivfProbe: t.probe, ivfPartitions: t.parts } },
    ratingRange: [1, 5],
    counts: { users: cat.spec.users, items: n },
    tensors: enc.entries,
    tensorsSha256: enc.sha256,
    tensorsBytes: enc.bytes.byteLength,
    metrics: { float: {}, quantized: {}, baselines: {} },
    dataset: { name: `bench-catalog-${n}-ivf`, fingerprint: `seed-${cat.spec.seed}`, ratings: 0, split: 'none' },
    createdAt: new Date(0).toISOString(),
  };
  const packed = await packArtifact(manifest, enc.bytes, cat.items);
  return { manifestText: packed.manifestText, tensors: packed.tensors, itemsText: packed.itemsText };
}

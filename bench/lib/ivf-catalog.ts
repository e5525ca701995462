// Coarse indexes (shared/model/ivf.ts) built the way `npm run train -- --index ivf` builds them
// (training/export/ivf-index.ts: spherical k-means on the float model's unit item vectors, then the smallest probe
// count that reaches the recall target against exact search on the served int8 weights), encoded with a synthetic
// catalogue.
import { packArtifact } from '../../shared/artifact/encode.js';
import { DType } from '../../shared/artifact/schema.js';
import { IVF_TENSORS } from '../../shared/model/ivf.js';
import { buildArtifact } from '../../training/export/artifact-builder.js';
import { tuneIvf, type IvfTuning } from '../../training/export/ivf-index.js';
import { mfTensors } from '../../training/export/mf-artifact.js';
import type { Catalog, EncodedCatalog } from './catalog.js';

export { tuneIvf, type IvfTuning };

/** A synthetic catalogue encoded with its index (int8 tables, f32 index tensors, the probe in model.hyper). */
export async function encodeWithIvf(cat: Catalog, t: IvfTuning): Promise<EncodedCatalog> {
  const { nItems: n, dim: d } = cat.params;
  const built = await buildArtifact({
    kind: 'mf',
    tensors: [
      ...mfTensors(cat.params, 'q8', true),
      { name: IVF_TENSORS.centroids, data: t.centroids, shape: [t.parts, d], dtype: DType.f32 },
      { name: IVF_TENSORS.assign, data: Float32Array.from(t.assign), shape: [n], dtype: DType.f32 },
    ],
    hyper: { dim: d, synthetic: true, ivfProbe: t.probe, ivfPartitions: t.parts },
    quantization: 'q8',
    ratingRange: [1, 5],
    counts: { users: cat.spec.users, items: n },
    dataset: { name: `bench-catalog-${n}-ivf`, fingerprint: `seed-${cat.spec.seed}`, ratings: 0, split: 'none' },
    items: cat.items,
    createdAt: new Date(0).toISOString(),
  });
  const packed = await packArtifact(built.manifest, built.tensors, built.items);
  return { manifestText: packed.manifestText, tensors: packed.tensors, itemsText: packed.itemsText };
}

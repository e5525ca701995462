// Synthetic catalogues for the serving benchmarks: planted vectors (no training), encoded by the real encoder.
//
// Items sit around sqrt(N) cluster centres with log-normal lengths, so cosine neighbourhoods have structure (pure
// Gaussian vectors in 64 dimensions are all nearly orthogonal, which would make recall figures meaningless), and
// users mix one or two centres. Every user has `seenPerUser` training items, as ml-100k's users have ~100.
import { packArtifact } from '../../shared/artifact/encode.js';
import type { ItemsFile, Quantization } from '../../shared/artifact/schema.js';
import { createRng, randomNormal, type Rng } from '../../training/data/random.js';
import { buildArtifact } from '../../training/export/artifact-builder.js';
import { mfTensors } from '../../training/export/mf-artifact.js';
import type { MfParams } from '../../training/models/mf.js';

export interface CatalogSpec {
  items: number;
  users: number;
  dim: number;
  seenPerUser: number;
  seed: number;
}

export interface Catalog {
  spec: CatalogSpec;
  params: MfParams;
  items: ItemsFile;
}

export interface EncodedCatalog {
  manifestText: string;
  tensors: Uint8Array;
  itemsText: string;
}

const GENRES = ['Action', 'Adventure', 'Animation', 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western'];

function gaussianRow(out: Float32Array, rng: Rng, scale: number): void {
  for (let k = 0; k < out.length; k++) out[k] = randomNormal(rng) * scale;
}

export function makeCatalog(spec: CatalogSpec): Catalog {
  const { items: n, users: nU, dim: d, seed } = spec;
  const rng = createRng(seed);
  const nCentres = Math.max(2, Math.round(Math.sqrt(n)));
  const centres = new Float32Array(nCentres * d);
  gaussianRow(centres, rng, 1 / Math.sqrt(d));
  const itemFactors = new Float32Array(n * d);
  const noise = new Float32Array(d);
  const itemCentre = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rng() * nCentres);
    itemCentre[i] = c;
    gaussianRow(noise, rng, 0.45 / Math.sqrt(d));
    const length = Math.exp(0.4 * randomNormal(rng));
    for (let k = 0; k < d; k++) itemFactors[i * d + k] = length * (centres[c * d + k] + noise[k]);
  }
  const userFactors = new Float32Array(nU * d);
  for (let u = 0; u < nU; u++) {
    const a = Math.floor(rng() * nCentres);
    const b = Math.floor(rng() * nCentres);
    gaussianRow(noise, rng, 0.3 / Math.sqrt(d));
    for (let k = 0; k < d; k++) userFactors[u * d + k] = 0.8 * centres[a * d + k] + 0.4 * centres[b * d + k] + noise[k];
  }
  const itemBias = Float32Array.from({ length: n }, () => 0.3 * randomNormal(rng));
  const userBias = Float32Array.from({ length: nU }, () => 0.3 * randomNormal(rng));

  const perUser = Math.min(spec.seenPerUser, n);
  const indptr = [0];
  const indices: number[] = [];
  for (let u = 0; u < nU; u++) {
    const seen = new Set<number>();
    while (seen.size < perUser) seen.add(Math.floor(rng() * n));
    indices.push(...[...seen].sort((x, y) => x - y));
    indptr.push(indices.length);
  }
  const items: ItemsFile = {
    items: Array.from({ length: n }, (_, i) => {
      const g = GENRES[itemCentre[i] % GENRES.length];
      const tags = i % 3 === 0 ? [g, GENRES[(itemCentre[i] + 5) % GENRES.length]].sort() : [g];
      return { id: String(i + 1), title: `Catalogue title ${i + 1} (${1950 + (i % 70)})`, tags };
    }),
    users: Array.from({ length: nU }, (_, u) => String(u + 1)),
    seen: { indptr, indices },
  };
  const params: MfParams = { nUsers: nU, nItems: n, dim: d, mu: 3.5, userFactors, itemFactors, userBias, itemBias };
  return { spec, params, items };
}

/** The catalogue as artifact files, embedding tables stored as `quantization` (biases stay f32, as training does). */
export async function encodeCatalog(cat: Catalog, quantization: Quantization): Promise<EncodedCatalog> {
  const built = await buildArtifact({
    kind: 'mf',
    tensors: mfTensors(cat.params, quantization, true),
    hyper: { dim: cat.spec.dim, synthetic: true },
    quantization,
    ratingRange: [1, 5],
    counts: { users: cat.spec.users, items: cat.spec.items },
    dataset: { name: `bench-catalog-${cat.spec.items}`, fingerprint: `seed-${cat.spec.seed}`, ratings: 0, split: 'none' },
    items: cat.items,
    // Visitor routes (fold-in) need settings; these are typical of what training chooses.
    foldin: { implicit: { alpha: 10, lambda: 10 }, rating: { lambda: 5 } },
    createdAt: new Date(0).toISOString(),
  });
  const packed = await packArtifact(built.manifest, built.tensors, built.items);
  return { manifestText: packed.manifestText, tensors: packed.tensors, itemsText: packed.itemsText };
}

import { UMAP } from 'umap-js';
import { createRng } from '../data/random.js';
import { pca } from './pca.js';
import { tsne } from './tsne.js';

/** 2-D coordinates for the mapped items, in the order of `rows`. */
export interface ItemMap {
  method: 'pca' | 'tsne' | 'umap';
  x: Float64Array;
  y: Float64Array;
  /** PCA only: share of variance on each axis. */
  explained?: number[];
  seconds: number;
}

export interface MapInput {
  /** Unit-length vectors of the mapped items, rows x dim, row-major. */
  vectors: Float32Array;
  rows: number;
  dim: number;
  seed: number;
  /** t-SNE iterations and UMAP epochs as they run (for progress). */
  onStep?: (method: 'tsne' | 'umap', done: number, total: number) => void;
}

export function pcaMap(input: MapInput): ItemMap {
  const t0 = performance.now();
  const { coords, explained } = pca(input.vectors, input.rows, input.dim, 2);
  return { method: 'pca', ...split(coords, input.rows), explained, seconds: (performance.now() - t0) / 1000 };
}

export function tsneMap(input: MapInput, iterations?: number): ItemMap {
  const t0 = performance.now();
  const coords = tsne(input.vectors, input.rows, input.dim, {
    iterations,
    onIteration: (i, total) => input.onStep?.('tsne', i, total),
  });
  return { method: 'tsne', ...split(coords, input.rows), seconds: (performance.now() - t0) / 1000 };
}

/** umap-js with its defaults (15 neighbours, min_dist 0.1, as umap-learn), driven by the seeded generator. */
export function umapMap(input: MapInput): ItemMap {
  const t0 = performance.now();
  const { rows, dim, vectors } = input;
  if (rows < 3) return { method: 'umap', x: new Float64Array(rows), y: new Float64Array(rows), seconds: 0 };
  const data = Array.from({ length: rows }, (_, r) => Array.from(vectors.subarray(r * dim, (r + 1) * dim)));
  const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(15, rows - 1), random: createRng(input.seed) });
  const epochs = umap.initializeFit(data);
  for (let e = 0; e < epochs; e++) {
    umap.step();
    input.onStep?.('umap', e + 1, epochs);
  }
  const emb = umap.getEmbedding();
  return {
    method: 'umap',
    x: Float64Array.from(emb, (p) => p[0]),
    y: Float64Array.from(emb, (p) => p[1]),
    seconds: (performance.now() - t0) / 1000,
  };
}

function split(coords: Float64Array, rows: number): { x: Float64Array; y: Float64Array } {
  const x = new Float64Array(rows);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    x[r] = coords[r * 2];
    y[r] = coords[r * 2 + 1];
  }
  return { x, y };
}

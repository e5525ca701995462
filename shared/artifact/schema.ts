/**
 * The artifact contract: what training writes and the Worker reads. Plain data only (JSON + one binary blob),
 * loaded without executing anything, validated on load.
 */

/**
 * Storage formats of a tensor. `q8` is int8 with one f32 scale per row (stored as a separate `f32` tensor). `i32` and
 * `u8` are raw integers: the catalogue blocks (shared/artifact/catalog.ts), never dequantised.
 */
export const DType = { f32: 'f32', f16: 'f16', q8: 'q8', i32: 'i32', u8: 'u8' } as const;
export type DType = (typeof DType)[keyof typeof DType];

/** How an artifact's embedding tables are stored: what `--quantization` chooses. */
export const Quantization = { q8: DType.q8, f16: DType.f16, f32: DType.f32 } as const;
export type Quantization = (typeof Quantization)[keyof typeof Quantization];

export const BYTES_PER_ELEMENT: Record<DType, number> = { f32: 4, f16: 2, q8: 1, i32: 4, u8: 1 };

/**
 * Bumped whenever the layout of manifest.json / tensors.bin / items.json changes incompatibly. Version 2: the
 * catalogue (ids, titles, tags, seen lists) moved from items.json into tensors.bin (shared/artifact/catalog.ts), and
 * every q8 tensor carries its per-row norms (`<name>.norm`).
 */
export const FORMAT_VERSION = 2;
export const FORMAT_NAME = 'edgerec-artifact';

/** Every tensor in tensors.bin starts at a multiple of this many bytes. */
export const TENSOR_ALIGNMENT = 16;

export const ARTIFACT_FILES = {
  manifest: 'manifest.json',
  tensors: 'tensors.bin',
  items: 'items.json',
} as const;

export interface TensorEntry {
  name: string;
  dtype: DType;
  /** Row-major shape; 1-D tensors have one entry. */
  shape: number[];
  /** Byte offset into tensors.bin (a multiple of TENSOR_ALIGNMENT). */
  offset: number;
  /** Byte length (elements x bytes per element, without padding). */
  length: number;
  /** For `q8`: the name of the f32 tensor holding one scale per row. */
  scale?: string;
  /**
   * For `q8` (version 2): the name of the f32 tensor holding |row| per row, computed by the encoder from the stored
   * codes (each element rounded to f32 as dequantised, summed in double, stored as f32) so that load makes no pass
   * over the codes: the int8 engine's cosine factor is f32(scale / norm), one division per row.
   */
  norm?: string;
}

export interface Metrics {
  [name: string]: number;
}

export interface Manifest {
  format: typeof FORMAT_NAME;
  formatVersion: number;
  /** Model kind (`mf`, ...) and the hyper-parameters it was trained with. */
  model: { kind: string; hyper: Record<string, number | string | boolean> };
  /** Rating scale, for clipping predictions (explicit models). */
  ratingRange?: [number, number];
  counts: { users: number; items: number; tags?: number };
  tensors: TensorEntry[];
  /** Hex sha256 of tensors.bin. */
  tensorsSha256: string;
  tensorsBytes: number;
  /** Figures measured at training time: the float model, the quantised artifact, and baselines. */
  metrics: { float: Metrics; quantized: Metrics; baselines: Record<string, Metrics> };
  dataset: { name: string; fingerprint: string; ratings: number; split: string };
  /** Per-epoch figures (losses, seconds) for reports. */
  training?: { epochs: { epoch: number; seconds: number; trainLoss: number; validLoss?: number; [m: string]: number | undefined }[]; seconds: number };
  /** A dense network on top of the embeddings (deep, hybrid, classify); absent for dot-product models. */
  head?: HeadSpec;
  /**
   * An implicit-feedback model trained beside a rating model on the same interactions (tensors rank_user_factors
   * and rank_item_factors): recommendations are ranked by its dot product, ratings still come from the rating model.
   * Its alpha and lambda are also what a visitor is folded in with (shared/model/foldin.ts).
   */
  ranker?: RankerSpec;
  /** Regularisers for folding a visitor in at request time; absent: the model cannot fold visitors in. */
  foldin?: FoldinSpec;
  /**
   * `all`: the shipped weights were refit on every row after the metrics above were measured on the split (the
   * metrics describe the split model, trained with the same settings). `none` (or absent): the shipped weights are
   * the split model's.
   */
  refit?: 'all' | 'none';
  /**
   * Where the weights came from when they were not trained by edgerec (`npm run import`): the reader (`spark-als`,
   * `npz`, `npy`, `safetensors`, `ndjson`) and the files it read, as given. Absent: trained here.
   */
  source?: ImportSource;
  createdAt: string;
}

/** Readers `npm run import --from` names. */
export const IMPORT_FORMATS = ['spark-als', 'npz', 'npy', 'safetensors', 'ndjson'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface ImportSource {
  format: ImportFormat;
  files: string[];
}

export interface RankerSpec {
  kind: 'ials';
  dim: number;
  /** Confidence of an observed interaction is 1 + alpha. */
  alpha: number;
  /** L2 regulariser of the least-squares solves. */
  lambda: number;
  epochs: number;
}

export interface FoldinSpec {
  /**
   * Implicit fold-in (the iALS user step) against the ranking item vectors (rank_item_factors when the artifact has a
   * ranker, else item_factors): x = (YtY + alpha * sum y yt + lambda I)^-1 (1 + alpha) sum y over the visitor's items.
   */
  implicit?: { alpha: number; lambda: number };
  /**
   * Rating fold-in (the ALS user step) for dot-product rating kinds: the user vector and bias that minimise
   * sum (r - mu - b_i - b_u - p.q_i)^2 + lambda (|p|^2 + b_u^2) against the fixed item factors and biases.
   */
  rating?: { lambda: number };
}

/** Activations a head layer may apply; `softmax` only on the last layer of a `classes` head. */
export const HeadActivation = { linear: 'linear', relu: 'relu', softmax: 'softmax' } as const;
export type HeadActivation = (typeof HeadActivation)[keyof typeof HeadActivation];

/** What a head reads, concatenated in the order listed: user_factors row, item_factors row, item_features row. */
export const HeadInput = { user: 'user', item: 'item', itemFeatures: 'item_features' } as const;
export type HeadInput = (typeof HeadInput)[keyof typeof HeadInput];

/**
 * A multi-layer perceptron: layer k computes act(x @ kernel + bias) with kernel [in, out] (row-major) and bias
 * [out], both tensors of this artifact. The first layer's kernel rows follow `inputs`.
 */
export interface HeadSpec {
  inputs: HeadInput[];
  layers: { kernel: string; bias: string; activation: HeadActivation }[];
  /** `regression`: one output, the rating. `classes`: one probability per rating value; the prediction is their expectation. */
  output: { type: 'regression' } | { type: 'classes'; values: number[] };
  /** Names of the item_features columns, for people reading the manifest. */
  itemFeatures?: string[];
}

export interface ItemMeta {
  /** The dataset's original id, as a string. */
  id: string;
  title: string;
  tags?: string[];
}

/**
 * The catalogue as training builds it (and as Node tools read it back: DecodedArtifact.items). In a version-2
 * artifact it is stored as blocks in tensors.bin (shared/artifact/catalog.ts); items.json keeps only vocabularies.
 */
export interface ItemsFile {
  items: ItemMeta[];
  /** Users' original ids in index order. */
  users: string[];
  /** Items each user saw in training, CSR: user u saw indices[indptr[u] .. indptr[u+1]). */
  seen: { indptr: number[]; indices: number[] };
  /** Tag vocabulary in index order, when the model has tag embeddings. */
  tags?: string[];
}

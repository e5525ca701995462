// The one way an artifact is made, for every pipeline, the importer and the searches: the kind's tensors and
// manifest fields -> encoded bytes and one manifest (buildArtifact); the encoded bytes loaded by the serving code
// and measured (serveAndMeasure); the final figures, the similar-items index and the files (finishArtifact).
import { decodePacked, encodeTensors, float32Bytes, type TensorInput } from '../../shared/artifact/encode.js';
import { FORMAT_NAME, FORMAT_VERSION, type ItemsFile, type Manifest, type Quantization } from '../../shared/artifact/schema.js';
import { loadModel, type LoadedModel } from '../../shared/model/loaded.js';
import { useWasmBackend } from '../tf-node.js';
import { writeArtifact, type ArtifactParts, type WrittenSizes } from './artifact-files.js';
import { indexArtifact, type IndexMode, type IndexSummary } from './ivf-index.js';

/** What a kind contributes to an artifact; every other manifest field is the builder's. */
export interface ArtifactSpec {
  kind: string;
  /** Encoded in this order; each tensor's dtype is its storage. */
  tensors: TensorInput[];
  /** model.hyper (the quantization is added to it). */
  hyper: Record<string, number | string | boolean>;
  quantization: Quantization;
  counts: Manifest['counts'];
  dataset: Manifest['dataset'];
  items: ItemsFile;
  ratingRange?: [number, number];
  head?: Manifest['head'];
  ranker?: Manifest['ranker'];
  foldin?: Manifest['foldin'];
  refit?: Manifest['refit'];
  source?: Manifest['source'];
  /** Default: now. */
  createdAt?: string;
}

/** An encoded artifact, its metrics still empty, with what it was encoded from (an index re-encodes them). */
export interface BuiltArtifact extends ArtifactParts {
  float32Bytes: number;
  inputs: TensorInput[];
}

export async function buildArtifact(s: ArtifactSpec): Promise<BuiltArtifact> {
  const encoded = await encodeTensors(s.tensors);
  const manifest: Manifest = {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    model: { kind: s.kind, hyper: { ...s.hyper, quantization: s.quantization } },
    ...(s.ratingRange ? { ratingRange: s.ratingRange } : {}),
    counts: s.counts,
    tensors: encoded.entries,
    tensorsSha256: encoded.sha256,
    tensorsBytes: encoded.bytes.byteLength,
    metrics: { float: {}, quantized: {}, baselines: {} },
    dataset: s.dataset,
    ...(s.head ? { head: s.head } : {}),
    ...(s.ranker ? { ranker: s.ranker } : {}),
    ...(s.foldin ? { foldin: s.foldin } : {}),
    ...(s.refit ? { refit: s.refit } : {}),
    createdAt: s.createdAt ?? new Date().toISOString(),
    ...(s.source ? { source: s.source } : {}),
  };
  return { manifest, tensors: encoded.bytes, items: s.items, float32Bytes: float32Bytes(s.tensors), inputs: s.tensors };
}

/**
 * The encoded artifact decoded and loaded by the serving code on tfjs wasm, as the Worker loads it, then measured by
 * `measure`; the model is always disposed.
 */
export async function serveAndMeasure<T>(parts: ArtifactParts, measure: (served: LoadedModel) => T | Promise<T>): Promise<T> {
  await useWasmBackend();
  const served = loadModel('eval', 'eval', await decodePacked(parts.manifest, parts.tensors, parts.items));
  try {
    return await measure(served);
  } finally {
    served.dispose();
  }
}

export interface FinishedArtifact {
  manifest: Manifest;
  sizes: WrittenSizes;
  index: IndexSummary | null;
}

/**
 * The last steps: the measured figures (and training record) into the manifest, the similar-items index when
 * `index` asks for one, then the files in `out`.
 */
export async function finishArtifact(
  built: BuiltArtifact,
  o: { metrics?: Manifest['metrics']; training?: Manifest['training']; index: IndexMode; seed: number; out: string; log?: (line: string) => void },
): Promise<FinishedArtifact> {
  if (o.metrics) built.manifest.metrics = o.metrics;
  if (o.training) built.manifest.training = o.training;
  const indexed = await indexArtifact(built, built.inputs, { mode: o.index, seed: o.seed, log: o.log });
  const sizes = await writeArtifact(o.out, indexed.parts);
  return { manifest: indexed.parts.manifest, sizes, index: indexed.index };
}

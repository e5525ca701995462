// Trains every served kind of the contract table through its registered pipeline (what `npm run train` runs) on one
// tiny synthetic MovieLens folder, publishes each to the Worker's local R2 and loads the same artifact in Node.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Quantization } from '../../shared/artifact/schema.js';
import { loadModel, type LoadedModel } from '../../shared/model/loaded.js';
import { generateSynthetic, writeSyntheticMovieLens } from '../../training/data/synthetic.js';
import type { RatingsDataset } from '../../training/data/types.js';
import { readArtifact } from '../../training/export/artifact-files.js';
import { PIPELINES } from '../../training/pipeline/registry.js';
import { publishArtifact } from '../../training/publish/publish.js';
import { useWasmBackend } from '../../training/tf-node.js';
import { bucketOf } from './artifact.js';
import { CONTRACT, isServed, type KindContract } from './contract-kinds.js';
import type { StartedWorker } from './worker.js';

/** Small enough to train all kinds in a few seconds, large enough that every list has k items to choose from. */
export const CONTRACT_DATA = { users: 60, items: 80, ratingsPerUser: 12, seed: 3 } as const;
const SEED = 1;

async function train(kind: string, data: string, quantization: Quantization, options: Record<string, string>): Promise<string> {
  const pipeline = PIPELINES[kind];
  const out = path.join(path.dirname(data), `${kind}-${quantization}`);
  await pipeline.run({ data, format: 'auto', split: pipeline.defaultSplit ?? 'random-80-20', seed: SEED, quantization, out, options, log: () => {} });
  return out;
}

/** A served kind at one quantisation: q8 (the default) for every kind, plus what its row asks for. */
export interface Variant {
  kind: string;
  quantization: Quantization;
  /** The published name: the kind, with `-f32` for a float variant. */
  name: string;
  contract: KindContract;
}

export const VARIANTS: Variant[] = Object.entries(CONTRACT).flatMap(([kind, contract]) =>
  isServed(contract)
    ? (['q8', ...(contract.alsoServed ?? [])] as Quantization[]).map((quantization) => ({ kind, quantization, name: quantization === 'q8' ? kind : `${kind}-${quantization}`, contract }))
    : [],
);

export interface Trained {
  dataset: RatingsDataset;
  /** Artifact folder per variant name. */
  dirs: Map<string, string>;
  /** What each excluded kind wrote to its --out folder (file names, sorted). */
  excludedOutputs: Record<string, string[]>;
  /** Removes the data and artifact folders. */
  cleanup(): Promise<void>;
}

/** Trains every variant, and runs every excluded kind once, on one synthetic MovieLens folder. */
export async function trainAll(): Promise<Trained> {
  const dataset = generateSynthetic(CONTRACT_DATA);
  const root = await mkdtemp(path.join(tmpdir(), 'edgerec-contract-'));
  const data = path.join(root, 'ml-synthetic');
  await writeSyntheticMovieLens(data, dataset);
  await useWasmBackend();
  const dirs = new Map<string, string>();
  for (const v of VARIANTS) dirs.set(v.name, await train(v.kind, data, v.quantization, v.contract.options));
  const excludedOutputs: Record<string, string[]> = {};
  for (const [kind, contract] of Object.entries(CONTRACT)) {
    if (!isServed(contract)) excludedOutputs[kind] = (await readdir(await train(kind, data, 'q8', contract.options))).sort();
  }
  return { dataset, dirs, excludedOutputs, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export interface ServedModel extends Variant {
  version: string;
  /** The same artifact loaded in Node through shared/model/loaded.ts: the offline answers. */
  node: LoadedModel;
}

/** Publishes every trained variant to the Worker's local R2 under its name and loads it in Node. */
export async function publishAll(worker: StartedWorker, trained: Trained): Promise<Map<string, ServedModel>> {
  // Each publish waits on R2 round trips: all at once.
  const models = await Promise.all(
    VARIANTS.map(async (v) => {
      const dir = trained.dirs.get(v.name)!;
      const { version } = await publishArtifact(bucketOf(worker.bucket), dir, v.name);
      return { ...v, version, node: loadModel(v.name, version, await readArtifact(dir)) };
    }),
  );
  return new Map(models.map((m) => [m.name, m]));
}

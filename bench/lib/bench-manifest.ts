import { FORMAT_NAME, FORMAT_VERSION, type Manifest } from '../../shared/artifact/schema.js';

/** The manifest of a model the micro-benches build in memory (tensors handed to loadModel as they are, no table). */
export function benchManifest(users: number, items: number): Manifest {
  return {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    model: { kind: 'bench', hyper: {} },
    counts: { users, items },
    tensors: [],
    tensorsSha256: '',
    tensorsBytes: 0,
    metrics: { float: {}, quantized: {}, baselines: {} },
    dataset: { name: 'bench', fingerprint: '', ratings: 0, split: '' },
    createdAt: new Date(0).toISOString(),
  };
}

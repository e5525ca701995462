import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadDataset } from '../data/load.js';
import { generateSynthetic, writeSyntheticMovieLens } from '../data/synthetic.js';
import { openLocalBucket } from '../publish/local-bucket.js';
import { publishArtifact, type Published } from '../publish/publish.js';
import type { TrainReport } from './kinds.js';
import { trainMfPipeline } from './train-mf.js';

/** The generated stand-in for MovieLens: planted genre structure, readable titles, the ml-100k file format. */
export const DEMO_SYNTHETIC = { users: 1200, items: 1000, ratingsPerUser: 60, seed: 7 } as const;

export interface DemoResult {
  dataDir: string;
  report: TrainReport;
  published: Published;
  /** An item and a user to show in the printed URLs. */
  exampleItem: string;
  exampleUser: string;
}

/**
 * train -> publish locally. Without a data path it writes the synthetic dataset as an ml-100k folder first and reads
 * it back through the MovieLens reader, so the demo walks the same path a real dataset does.
 */
export async function prepareDemo(opts: { data?: string; workDir: string; model: string; persistDir?: string; log: (s: string) => void }): Promise<DemoResult> {
  let dataDir = opts.data;
  if (!dataDir) {
    dataDir = path.join(opts.workDir, 'synthetic-ml');
    if (!existsSync(path.join(dataDir, 'u.data'))) {
      await writeSyntheticMovieLens(dataDir, generateSynthetic(DEMO_SYNTHETIC));
      opts.log(`generated a synthetic MovieLens-format dataset in ${dataDir}`);
    }
  }
  const dataset = await loadDataset(dataDir);
  opts.log(`${dataset.name}: ${dataset.ratings.rating.length} ratings, ${dataset.userIds.length} users, ${dataset.itemIds.length} items`);
  const out = path.join(opts.workDir, 'artifacts', opts.model);
  const report = await trainMfPipeline({ dataset, split: 'random-80-20', options: { seed: 42 }, quantization: 'q8', out });
  opts.log(
    `trained mf in ${report.seconds.train.toFixed(1)}s: test RMSE ${report.metrics.rmse.toFixed(4)} ` +
      `(bias-only ${report.baselines.bias.rmse.toFixed(4)}), int8 artifact ${Number(report.quantized.rmse).toFixed(4)}, ${report.bytes.artifact} bytes of tensors`,
  );
  const bucket = await openLocalBucket({ persistDir: opts.persistDir });
  let published: Published;
  try {
    published = await publishArtifact(bucket, out, opts.model);
  } finally {
    await bucket.close();
  }
  opts.log(`published ${opts.model} version ${published.version} to the local R2 bucket`);
  // Star Wars (1977) is item 50 in MovieLens; for other data, the most-rated item.
  const exampleItem = dataset.itemIds.includes('50') && dataset.name === 'ml-100k' ? '50' : mostRated(dataset.ratings.item, dataset.itemIds);
  return { dataDir, report, published, exampleItem, exampleUser: dataset.userIds[0] };
}

function mostRated(items: Int32Array, ids: string[]): string {
  const counts = new Int32Array(ids.length);
  for (const i of items) counts[i]++;
  let best = 0;
  for (let i = 1; i < counts.length; i++) if (counts[i] > counts[best]) best = i;
  return ids[best];
}

import { loadDataset } from '../data/load.js';
import { MF_DEFAULTS } from '../models/mf.js';
import { Quantization } from '../export/mf-artifact.js';
import { trainMfPipeline } from '../pipeline/train-mf.js';
import { intOption, numberOption, parse, runCli, UsageError } from './args.js';

const USAGE = `Usage: npm run train -- --data <dir-or-file> --model mf --out <dir> [options]

Trains a model, evaluates it on a held-out split against baselines, quantises it, re-evaluates the
quantised weights through the serving code, and writes the artifact (manifest.json, tensors.bin, items.json).

  --data <path>        MovieLens 100K folder (u.data, u.item, u.genre) or a user,item,rating[,timestamp] CSV
  --model <kind>       mf (default mf)
  --out <dir>          artifact folder to write
  --split <name>       random-80-20 (default, seeded) or an official fold: u1..u5, ua, ub
  --epochs <n>         default ${MF_DEFAULTS.epochs}
  --dim <n>            embedding size, default ${MF_DEFAULTS.dim}
  --lr <x>             SGD step, default ${MF_DEFAULTS.lr}
  --reg <x>            L2 on factors, default ${MF_DEFAULTS.reg}
  --no-bias            plain dot-product model (no biases)
  --quantization <q>   q8 (default: int8 per row), f16 or f32 for the embedding tables
  --seed <n>           default ${MF_DEFAULTS.seed}
  --json               last line of stdout is one JSON object of metrics
`;

runCli(async () => {
  const { values } = parse(
    process.argv.slice(2),
    {
      data: { type: 'string' },
      model: { type: 'string', default: 'mf' },
      out: { type: 'string' },
      split: { type: 'string', default: 'random-80-20' },
      epochs: { type: 'string' },
      dim: { type: 'string' },
      lr: { type: 'string' },
      reg: { type: 'string' },
      'no-bias': { type: 'boolean', default: false },
      quantization: { type: 'string', default: 'q8' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    USAGE,
  );
  if (!values.data) throw new UsageError('--data is required: a MovieLens 100K folder or a ratings CSV (see --help)');
  if (!values.out) throw new UsageError('--out is required: the folder to write the artifact to (see --help)');
  if (values.model !== 'mf') throw new UsageError(`--model ${JSON.stringify(values.model)} is not available yet; use mf`);
  const quantization = values.quantization as Quantization;
  if (!Object.values(Quantization).includes(quantization)) {
    throw new UsageError(`--quantization must be one of ${Object.values(Quantization).join(', ')}, got ${JSON.stringify(values.quantization)}`);
  }
  const options = {
    epochs: intOption('epochs', values.epochs, MF_DEFAULTS.epochs, 1, 10_000),
    dim: intOption('dim', values.dim, MF_DEFAULTS.dim, 1, 4096),
    lr: numberOption('lr', values.lr, MF_DEFAULTS.lr, 1e-9, 10),
    reg: numberOption('reg', values.reg, MF_DEFAULTS.reg, 0, 100),
    bias: !values['no-bias'],
    seed: intOption('seed', values.seed, MF_DEFAULTS.seed, 0, 2 ** 31 - 1),
  };
  const log = (s: string) => (values.json ? process.stderr : process.stdout).write(s + '\n');
  const dataset = await loadDataset(values.data);
  log(`${dataset.name}: ${dataset.ratings.rating.length} ratings, ${dataset.userIds.length} users, ${dataset.itemIds.length} items`);
  const report = await trainMfPipeline({
    dataset,
    split: values.split!,
    options,
    quantization,
    out: values.out,
    onEpoch: (e) =>
      log(`epoch ${e.epoch}/${options.epochs}  train rmse ${e.trainRmse.toFixed(4)}  test rmse ${e.validRmse?.toFixed(4)}  ${e.seconds.toFixed(2)}s`),
  });
  const f = (x: number) => x.toFixed(4);
  log(
    [
      `test RMSE ${f(report.metrics.rmse)}  MAE ${f(report.metrics.mae)}  (${report.split}, ${report.dataset.test} ratings)`,
      `baselines: global mean RMSE ${f(report.baselines.global_mean.rmse)}, bias-only RMSE ${f(report.baselines.bias.rmse)}`,
      `${report.quantized.quantization} artifact: RMSE ${f(report.quantized.rmse)}  MAE ${f(report.quantized.mae)}  (delta ${(report.quantized.rmse - report.metrics.rmse).toFixed(5)})`,
      `tensors ${report.bytes.artifact} bytes = ${((100 * report.bytes.artifact) / report.bytes.float32).toFixed(1)}% of float32 (${report.bytes.float32}); all files ${report.bytes.files} bytes`,
      `trained in ${report.seconds.train.toFixed(1)}s, total ${report.seconds.total.toFixed(1)}s; artifact in ${report.out}`,
    ].join('\n'),
  );
  if (values.json) {
    const { epochs, ...summary } = report;
    process.stdout.write(JSON.stringify({ ...summary, epochs: epochs.map((e) => ({ ...e })) }) + '\n');
  }
});

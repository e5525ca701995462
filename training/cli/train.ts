import { FORMATS } from '../data/formats.js';
import { AUTO_INDEX_ITEMS, indexOption } from '../export/ivf-index.js';
import { Quantization } from '../../shared/artifact/schema.js';
import type { CliOption } from '../pipeline/kinds.js';
import { crossValidate } from '../pipeline/cv.js';
import { FILES_SPLIT } from '../data/train-test.js';
import { dataOption } from './data-option.js';
import { PIPELINES } from '../pipeline/registry.js';
import { runReport } from '../report/run.js';
import { intOption, parse, runCli, UsageError } from './args.js';
import { Progress, progressMode } from './progress.js';

const COMMON: Record<string, CliOption & { default?: string | boolean }> = {
  data: { type: 'string', help: 'dataset: a folder or a file in one of the --format layouts' },
  train: { type: 'string', help: 'your own split, with --test: the training ratings (any ratings file --data reads); the split is then "files"' },
  test: { type: 'string', help: 'your own split, with --train: the held-out ratings, read as --train is; no (user, item) may be in both' },
  model: { type: 'string', help: `model kind: ${Object.keys(PIPELINES).join(', ')}`, default: 'mf' },
  out: { type: 'string', help: 'artifact folder to write' },
  columns: { type: 'string', help: 'ratings CSV columns in file order when the header does not name them: user,item,rating[,timestamp], - to skip one (e.g. rating,user,item)' },
  format: { type: 'string', help: `reader: auto (tries each and says why each failed), or one of ${Object.entries(FORMATS).map(([n, f]) => `${n} (${f.describe})`).join(', ')}`, default: 'auto' },
  split: { type: 'string', help: 'random-80-20 (seeded), ranking-75-25 (per-user stratified), users-90-10 (whole users held out, for fold-in) or an official fold: u1..u5, ua, ub (default: random-80-20; bpr, ials: ranking-75-25)' },
  epochs: { type: 'string', help: 'training epochs (default: per model)' },
  dim: { type: 'string', help: 'embedding size (default: per model)' },
  seed: { type: 'string', help: 'random seed (default 42)' },
  quantization: { type: 'string', help: 'q8 (int8 per row), f16 or f32 for embedding tables', default: 'q8' },
  index: {
    type: 'string',
    help: `similar-items index: ivf (k-means partitions, probe chosen for recall@10 >= 0.95 vs exact), none, or auto (ivf from ${AUTO_INDEX_ITEMS.toLocaleString('en')} items)`,
    default: 'auto',
  },
  json: { type: 'boolean', help: 'last line of stdout is one JSON object of metrics', default: false },
  cv: { type: 'boolean', help: '5-fold CV over the official u1..u5 folds (replaces --split): metrics are fold means, "cv" has per-fold values and std; the artifact is the u5 model', default: false },
  report: { type: 'boolean', help: 'then write <out>/report.html: charts of the model (see npm run report)', default: false },
};

function usage(): string {
  const lines = [
    'Usage: npm run train -- --data <dir-or-file> --model <kind> --out <dir> [options]',
    '       npm run train -- --train <file> --test <file> --model <kind> --out <dir> [options]',
    '',
    'Trains a model, evaluates it on a held-out split against baselines, quantises it, re-evaluates the quantised',
    'weights through the serving code, and writes the artifact (manifest.json, tensors.bin, items.json).',
    '',
  ];
  const row = (name: string, o: CliOption & { default?: unknown }) =>
    `  --${name}${o.type === 'string' ? ' <v>' : ''}`.padEnd(26) + o.help + (o.default !== undefined && o.type === 'string' ? ` (default ${o.default})` : '');
  for (const [name, o] of Object.entries(COMMON)) lines.push(row(name, o));
  for (const p of Object.values(PIPELINES)) {
    lines.push('', `--model ${p.kind}: ${p.summary}`);
    for (const [name, o] of Object.entries(p.options)) lines.push(row(name, o));
  }
  return lines.join('\n') + '\n';
}

runCli(async () => {
  const specific = Object.assign({}, ...Object.values(PIPELINES).map((p) => p.options)) as Record<string, CliOption>;
  const spec = Object.fromEntries(
    Object.entries({ ...specific, ...COMMON }).map(([k, o]) => [k, { type: o.type, ...('default' in o ? { default: o.default } : {}) }]),
  );
  const { values } = parse(process.argv.slice(2), spec as never, usage());
  const v = values as Record<string, string | boolean | undefined>;
  const pipeline = PIPELINES[v.model as string];
  if (!pipeline) throw new UsageError(`--model ${JSON.stringify(v.model)} is not a model kind; choose one of ${Object.keys(PIPELINES).join(', ')}`);
  const data = dataOption(v, pipeline.input ?? 'ratings');
  if (!v.out) throw new UsageError('--out is required: the folder to write the artifact to (see --help)');
  for (const name of Object.keys(specific)) {
    if (v[name] !== undefined && !(name in pipeline.options) && !(name in COMMON)) {
      throw new UsageError(`--${name} does not apply to --model ${pipeline.kind} (see --help)`);
    }
  }
  const quantization = v.quantization as Quantization;
  if (!Object.values(Quantization).includes(quantization)) {
    throw new UsageError(`--quantization must be one of ${Object.values(Quantization).join(', ')}, got ${JSON.stringify(v.quantization)}`);
  }
  indexOption(v.index);
  const json = Boolean(v.json);
  const log = (s: string) => (json ? process.stderr : process.stdout).write(s + '\n');
  // A bar with loss and ETA on a terminal; the plain epoch lines in CI, with --json, or into a file.
  const epochs = v.epochs === undefined ? (pipeline.defaultEpochs ?? NaN) : Number(v.epochs);
  const progress = new Progress({ mode: progressMode({ json }), unit: 'epoch', total: Number.isInteger(epochs) && epochs > 0 ? epochs : undefined, print: log });
  const run = v.cv ? (req: Parameters<typeof pipeline.run>[0]) => crossValidate(pipeline, req) : pipeline.run.bind(pipeline);
  const report = await run({
    data,
    format: v.format as string,
    split: v.test !== undefined ? FILES_SPLIT : (v.split as string | undefined) ?? pipeline.defaultSplit ?? 'random-80-20',
    seed: intOption('seed', v.seed as string | undefined, 42, 0, 2 ** 31 - 1),
    quantization,
    out: v.out as string,
    options: v,
    log: (s) => progress.print(s),
    onEpoch: (e) =>
      progress.update(
        e.epoch,
        { loss: e.trainLoss, valid: e.validLoss, auc: e.auc },
        `epoch ${e.epoch}  train loss ${e.trainLoss.toFixed(4)}` +
          (e.validLoss !== undefined ? `  valid loss ${e.validLoss.toFixed(4)}` : '') +
          `  ${e.seconds.toFixed(2)}s`,
      ),
  });
  progress.finish();
  const f = (x: unknown) => (typeof x === 'number' ? x.toFixed(4) : String(x));
  const table = (m: Record<string, unknown>) => Object.entries(m).map(([k, x]) => `${k} ${f(x)}`).join('  ');
  log(`${report.model} on ${report.dataset.name} (${report.split}): ${table(report.metrics)}`);
  for (const [name, m] of Object.entries(report.baselines)) log(`  baseline ${name}: ${table(m)}`);
  log(`  quantised: ${table(report.quantized)}`);
  if (report.cv) log(`  cv std: ${table((report.cv as { std: Record<string, number> }).std)}`);
  log(
    `tensors ${report.bytes.artifact} bytes = ${((100 * report.bytes.artifact) / report.bytes.float32).toFixed(1)}% of float32 ` +
      `(${report.bytes.float32}); all files ${report.bytes.files} bytes`,
  );
  log(`trained in ${report.seconds.train.toFixed(1)}s (median epoch ${report.seconds.epoch_median.toFixed(3)}s), total ${report.seconds.total.toFixed(1)}s; artifact in ${report.out}`);
  if (v.report) await runReport({ artifactDir: report.out, data, format: v.format as string, json, log });
  if (json) process.stdout.write(JSON.stringify(report) + '\n');
});

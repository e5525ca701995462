import { Quantization } from '../../shared/artifact/schema.js';
import { loadDataset } from '../data/load.js';
import { readOptions } from '../data/rating-columns.js';
import { indexOption } from '../export/ivf-index.js';
import { importArtifact } from '../import/import-artifact.js';
import { importFormat, readCatalogue, readSource } from '../import/read-source.js';
import { IALS_DEFAULTS } from '../models/ials.js';
import { intOption, numberOption, parse, runCli, UsageError } from './args.js';

const USAGE = `Usage: npm run import -- --from <reader> <path> --out <dir> [options]

Turns vectors trained elsewhere into an ordinary artifact (manifest.json, tensors.bin, items.json): the same
quantisation, validation, checksum and manifest as train, the source recorded in manifest.source, so publish,
rollback, the report, the widget and every route take it unchanged. With biases it is an mf rating model, without a
dot-product model (kind bpr: ranks, no rating scale).

Readers (--from):
  spark-als <dir>          ALSModel.save folder: userFactors/ and itemFactors/ Parquet (id int, features array<float>)
  npz <file>               implicit's model.save(): user_factors, item_factors (rows are ids 0..n-1 unless --ids /
                           --user-ids, or item_ids / user_ids arrays); optional item_bias, user_bias, global_bias
  npy <file> --ids <file>  a [N, D] float array of item vectors with its ids (.npy or one per line);
                           --users <file.npy> [--user-ids <file>] for user vectors
  safetensors <file> --tensor <name>   item vectors from that tensor (F32/F16/BF16/F64); --user-tensor <name>;
                           rows are ids 0..n-1 unless --ids / --user-ids
  ndjson <file>            {"id", "values", "metadata": {"title", "tags"}} per line (Vectorize/Gorse bulk loads,
                           npm run export's output); optional "bias"; --users <file> for user vectors

Options:
  --out <dir>              artifact folder to write (required)
  --items <path>           titles and tags: any item or ratings format train reads (tags CSV/JSON, Steam CSV,
                           a MovieLens folder, ...); ids match the vectors' ids
  --ratings <path>         the data the vectors were trained on: evaluated as train does (RMSE vs baselines with
                           biases, ranking metrics vs most-popular, the int8 delta through the serving code); the
                           seen lists of the artifact (what recommendations leave out)
  --drop-unknown           leave out ratings of users or items without a vector (default: an error naming them)
  --format <name>          reader of --ratings (default auto); --columns as train's, for a ratings CSV
  --split <name>           evaluation split (default random-80-20 with biases, ranking-75-25 without)
  --seed <n>               split seed (default 42)
  --quantization <q>       q8 (default), f16 or f32
  --rating-range <min,max> scale of a biased model's predictions when there are no --ratings
  --foldin-alpha <a>       visitor fold-in confidence weight (default ${IALS_DEFAULTS.alpha})
  --foldin-lambda <l>      visitor fold-in L2 weight (default ${IALS_DEFAULTS.lambda})
  --index <mode>           similar-items index: auto (default), ivf or none
  --json                   the last line of stdout is one JSON object
`;

const OPTIONS = {
  from: { type: 'string' },
  out: { type: 'string' },
  items: { type: 'string' },
  ratings: { type: 'string' },
  format: { type: 'string', default: 'auto' },
  columns: { type: 'string' },
  'drop-unknown': { type: 'boolean', default: false },
  split: { type: 'string' },
  seed: { type: 'string' },
  quantization: { type: 'string', default: 'q8' },
  'rating-range': { type: 'string' },
  'foldin-alpha': { type: 'string' },
  'foldin-lambda': { type: 'string' },
  index: { type: 'string', default: 'auto' },
  ids: { type: 'string' },
  users: { type: 'string' },
  'user-ids': { type: 'string' },
  tensor: { type: 'string' },
  'user-tensor': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

function ratingRange(v: string | undefined): [number, number] | undefined {
  if (v === undefined) return undefined;
  const [lo, hi, ...rest] = v.split(',').map((s) => Number(s.trim()));
  if (rest.length || !Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) throw new UsageError(`--rating-range must be min,max with min < max (e.g. 1,5), got ${JSON.stringify(v)}`);
  return [lo, hi];
}

runCli(async () => {
  const { values: v, positionals } = parse(process.argv.slice(2), OPTIONS, USAGE, true);
  const format = importFormat(v.from);
  if (positionals.length !== 1) throw new UsageError(`expected one ${format} path after --from ${format}, got ${positionals.length} (see --help)`);
  if (!v.out) throw new UsageError('--out is required: the folder to write the artifact to (see --help)');
  const quantization = v.quantization as Quantization;
  if (!Object.values(Quantization).includes(quantization)) throw new UsageError(`--quantization must be one of ${Object.values(Quantization).join(', ')}, got ${JSON.stringify(v.quantization)}`);
  if (!v.ratings && (v.split || v.columns || v.format !== 'auto' || v['drop-unknown'])) throw new UsageError('--split, --columns, --format and --drop-unknown describe --ratings: pass --ratings too');
  const json = v.json;
  const log = (s: string) => (json ? process.stderr : process.stdout).write(s + '\n');
  const t0 = performance.now();
  const factors = await readSource(format, positionals[0], { ids: v.ids, users: v.users, userIds: v['user-ids'], tensor: v.tensor, userTensor: v['user-tensor'] });
  const readSeconds = (performance.now() - t0) / 1000;
  log(`read ${factors.items.ids.length} item vectors${factors.users ? ` and ${factors.users.ids.length} user vectors` : ''} of ${factors.items.dim} dimensions from ${positionals[0]} (${format}) in ${readSeconds.toFixed(1)}s`);
  const catalogue = v.items ? await readCatalogue(v.items) : undefined;
  if (catalogue) {
    const known = factors.items.ids.filter((id) => catalogue.has(id)).length;
    log(`--items: titles and tags for ${known} of ${factors.items.ids.length} items (${factors.items.ids.length - known} keep their id as title)`);
  }
  const ratings = v.ratings ? await loadDataset(v.ratings, v.format, readOptions(v)) : undefined;
  const report = await importArtifact({
    factors,
    catalogue,
    ratings,
    split: v.split,
    dropUnknown: v['drop-unknown'],
    seed: intOption('seed', v.seed, 42, 0, 2 ** 31 - 1),
    quantization,
    ratingRange: ratingRange(v['rating-range']),
    foldin: { alpha: numberOption('foldin-alpha', v['foldin-alpha'], IALS_DEFAULTS.alpha, 0, 1e6), lambda: numberOption('foldin-lambda', v['foldin-lambda'], IALS_DEFAULTS.lambda, 1e-9, 1e9) },
    index: indexOption(v.index),
    out: v.out,
    log,
  });
  const f = (x: number) => x.toFixed(4);
  const table = (m: Record<string, number>) => Object.entries(m).map(([k, x]) => `${k} ${f(x)}`).join('  ');
  if (report.evaluation) {
    log(`imported ${report.kind} on ${report.split}: ${table(report.evaluation.metrics)}`);
    for (const [name, m] of Object.entries(report.evaluation.baselines)) log(`  baseline ${name}: ${table(m)}`);
    log(`  quantised (${quantization}): ${table(report.evaluation.quantized)}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  log(`wrote ${report.kind} artifact (${report.counts.users} users, ${report.counts.items} items, dim ${report.counts.dim}, ${quantization}) to ${report.out} in ${seconds.toFixed(1)}s`);
  if (json) process.stdout.write(JSON.stringify({ ...report, seconds: { read: readSeconds, total: seconds } }) + '\n');
});

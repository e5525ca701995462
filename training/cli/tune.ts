import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadDataset } from '../data/load.js';
import { readOptions } from '../data/rating-columns.js';
import { FILES_SPLIT } from '../data/train-test.js';
import { dataOption } from './data-option.js';
import { mfRatingKind } from '../pipeline/mf-kind.js';
import type { RatingKind } from '../pipeline/rating-kind.js';
import { classifyKind } from '../pipeline/train-classify.js';
import { deepKind } from '../pipeline/train-deep.js';
import { hybridKind } from '../pipeline/train-hybrid.js';
import { svdppKind } from '../pipeline/train-svdpp.js';
import { bmfKind } from '../pipeline/train-bmf.js';
import { formatParams, tune } from '../pipeline/tune.js';
import { intOption, numberOption, parse, runCli, UsageError } from './args.js';

const KINDS: Record<string, RatingKind<unknown>> = Object.fromEntries(
  [mfRatingKind, svdppKind, deepKind, hybridKind, classifyKind, bmfKind].map((k) => [k.kind, k as RatingKind<unknown>]),
);

const USAGE = `Usage: npm run tune -- --model <kind> --data <dir-or-file> --trials N [options]

Random hyper-parameter search (as notebook 004 runs keras-tuner's RandomSearch). Each trial samples a
configuration from the kind's search space, trains on the split's training rows minus a seeded validation share,
and is scored on that validation share; the split's test rows are never read. Trial 0 is the kind's defaults.
Prints a table of the trials, best first, and writes the best configuration and every trial's scores as JSON.

  --model <kind>            ${Object.keys(KINDS).join(', ')}
  --data <path>             a dataset, as for npm run train
  --train <f> --test <f>    your own split instead (as for npm run train): searched on --train's rows only
  --format <name>           reader name, or auto (default auto)
  --trials <n>              configurations to try (default 10)
  --seed <n>                seeds the sampling, the validation carve and every trial's training (default 42)
  --split <name>            whose training rows to search on: random-80-20 or u1..u5, ua, ub (default random-80-20)
  --valid-fraction <x>      share of the training rows held out for validation (default 0.1, as 004)
  --objective <m>           rmse or mae, lower is better (default rmse)
  --epochs <n>, --dim <n>   fix these for every trial (otherwise the kind's default, or sampled when in the space)
  --out <file>              JSON to write (default tune-<kind>.json)
  --json                    the last line of stdout is the JSON result

Search spaces:
${Object.values(KINDS)
  .map((k) => `  ${k.kind}: ${Object.entries(k.space).map(([n, p]) => `${n} ${p.type === 'choice' ? `{${p.values.join('|')}}` : `${p.type === 'int' ? 'int' : p.log ? 'log' : ''}[${p.min}, ${p.max}]${p.step ? ` step ${p.step}` : ''}`}`).join(', ')}`)
  .join('\n')}
`;

runCli(async () => {
  const { values: v } = parse(
    process.argv.slice(2),
    {
      model: { type: 'string' },
      data: { type: 'string' },
      train: { type: 'string' },
      test: { type: 'string' },
      format: { type: 'string', default: 'auto' },
      trials: { type: 'string' },
      seed: { type: 'string' },
      split: { type: 'string' },
      'valid-fraction': { type: 'string' },
      objective: { type: 'string', default: 'rmse' },
      epochs: { type: 'string' },
      dim: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    USAGE,
  );
  const kind = KINDS[v.model ?? ''];
  if (!kind) throw new UsageError(`--model ${JSON.stringify(v.model)} cannot be tuned; choose one of ${Object.keys(KINDS).join(', ')}`);
  const data = dataOption(v, 'ratings');
  if (v.objective !== 'rmse' && v.objective !== 'mae') throw new UsageError(`--objective must be rmse or mae, got ${JSON.stringify(v.objective)}`);
  const trials = intOption('trials', v.trials, 10, 1, 10_000);
  const seed = intOption('seed', v.seed, 42, 0, 2 ** 31 - 1);
  const validFraction = numberOption('valid-fraction', v['valid-fraction'], 0.1, 0.01, 0.5);
  const fixed: Record<string, string> = {};
  if (v.epochs !== undefined) fixed.epochs = v.epochs;
  if (v.dim !== undefined) fixed.dim = v.dim;
  // Fail on a bad --epochs/--dim now, not after the first trial has trained.
  kind.parse(fixed, seed);
  const json = Boolean(v.json);
  const log = (s: string) => (json ? process.stderr : process.stdout).write(s + '\n');

  const dataset = await loadDataset(data, v.format, readOptions(v));
  log(`${dataset.name}: ${dataset.ratings.rating.length} ratings; ${trials} trials of ${kind.kind}`);
  const result = await tune({ dataset, kind, trials, seed, split: v.test !== undefined ? FILES_SPLIT : v.split ?? 'random-80-20', validFraction, objective: v.objective, fixed, log });

  const ranked = [...result.trials].sort((a, b) => (a.error ? 1 : 0) - (b.error ? 1 : 0) || a.metrics[v.objective!] - b.metrics[v.objective!]);
  const names = Object.keys(result.trials[1]?.params ?? {});
  const metricNames = Object.keys(ranked.find((t) => !t.error)?.metrics ?? {});
  const rows = [['trial', ...names, ...metricNames.map((m) => `valid ${m}`), 'seconds']];
  for (const t of ranked) {
    rows.push([t.trial === 0 ? '0 (defaults)' : String(t.trial), ...names.map((n) => t.params[n] ?? '-'), ...metricNames.map((m) => (t.error ? 'diverged' : t.metrics[m].toFixed(4))), t.seconds.toFixed(1)]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) log(r.map((cell, c) => cell.padStart(widths[c])).join('  '));
  const out = resolve(v.out ?? `tune-${kind.kind}.json`);
  await writeFile(out, JSON.stringify(result, null, 2) + '\n');
  if (result.best) {
    const what = result.best.trial === 0 ? 'the defaults' : formatParams(result.best.params);
    log(`best: trial ${result.best.trial}, valid ${v.objective} ${result.best.metrics[v.objective].toFixed(4)}: ${what}`);
    log(`  ${result.best.command} ${v.test !== undefined ? `--train ${v.train} --test ${v.test}` : `--data ${v.data}`} --out <dir>`);
  } else {
    log('every trial diverged: narrow the search (smaller --lr values) and try again');
  }
  log(`wrote ${out}`);
  if (json) process.stdout.write(JSON.stringify(result) + '\n');
});

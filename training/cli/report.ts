import { REPORT_DEFAULTS } from '../report/build.js';
import { runReport } from '../report/run.js';
import { intOption, parse, runCli, UsageError } from './args.js';

const USAGE = `Usage: npm run report -- <artifact-dir> [--data <path>] [--out <file>] [options]

Writes one self-contained HTML page about a trained artifact (opens offline; no script): the metrics beside the
baselines and the quantised deltas, loss per epoch, PCA / t-SNE / UMAP maps of the item embeddings coloured by
genre (titles on hover), the cosine-similarity histogram and similar-items tables. With --data (the dataset the
model was trained on) it re-creates the test split and adds true-vs-predicted and rating-histogram charts,
predicted by the quantised artifact through the serving code.

  --data <path>           the training data (as given to npm run train); without it the test-split charts are skipped
  --format <name>         reader for --data, as npm run train --format (default auto)
  --out <file>            where to write the page (default <artifact-dir>/report.html)
  --map-items <n>         most-rated items drawn on the maps (default ${REPORT_DEFAULTS.mapItems}; t-SNE time grows as n^2)
  --tsne-iterations <n>   t-SNE iterations (default ${REPORT_DEFAULTS.tsneIterations})
  --events <dir>          an events folder (npm run events -- --model <name> --save <dir>): adds impressions,
                          clicks and CTR per A/B variant
  --events-model <name>   whose events, when the folder holds several models
  --json                  print one JSON line (out, bytes, charts, seconds) on stdout; plain progress lines on stderr
`;

runCli(async () => {
  const { values, positionals } = parse(
    process.argv.slice(2),
    {
      data: { type: 'string' },
      format: { type: 'string', default: 'auto' },
      out: { type: 'string' },
      'map-items': { type: 'string' },
      'tsne-iterations': { type: 'string' },
      json: { type: 'boolean', default: false },
      events: { type: 'string' },
      'events-model': { type: 'string' },
    },
    USAGE,
    true,
  );
  if (values['events-model'] && !values.events) throw new UsageError('--events-model goes with --events <dir> (see --help)');
  if (positionals.length !== 1) throw new UsageError(`expected one artifact folder, got ${positionals.length} (see --help)`);
  const json = values.json!;
  const result = await runReport({
    artifactDir: positionals[0],
    data: values.data,
    format: values.format,
    out: values.out,
    mapItems: intOption('map-items', values['map-items'], REPORT_DEFAULTS.mapItems, 2, 20_000),
    tsneIterations: intOption('tsne-iterations', values['tsne-iterations'], REPORT_DEFAULTS.tsneIterations, 1, 100_000),
    events: values.events ? { dir: values.events, model: values['events-model'] } : undefined,
    json,
    log: (s) => (json ? process.stderr : process.stdout).write(s + '\n'),
  });
  if (json) {
    const { html: _html, ...rest } = result;
    process.stdout.write(JSON.stringify(rest) + '\n');
  }
});

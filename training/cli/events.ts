import { readFile, writeFile } from 'node:fs/promises';
import { ctrByVariant, formatCtrTable } from '../events/ctr.js';
import { saveEvents } from '../events/folder.js';
import { checkSince, readEvents } from '../events/read.js';
import { DEFAULT_WEIGHTS, toInteractions, writeInteractionsCsv } from '../events/interactions.js';
import { WRANGLER_DEV_PERSIST_DIR } from '../publish/local-bucket.js';
import { openBucketFrom } from './bucket-args.js';
import { numberOption, parse, runCli, UsageError } from './args.js';

const USAGE = `Usage: npm run events -- --model <name> --out <ratings.csv> [--since YYYY-MM-DD] [--click-weight 4 --view-weight 3]
       npm run events -- --model <name> --report [--json <file>] [--since YYYY-MM-DD]
       npm run events -- --model <name> --save <dir> [--since YYYY-MM-DD]

Reads the feedback events the Worker stored (POST /v1/events -> queue -> events/<model>/<date>/*.ndjson in the
events bucket), each event once (repeats of a retried message are dropped by id), and
  --out <file>       writes them as a user,item,rating,timestamp CSV that npm run train reads: one row per
                     (user or visitor, item): the latest rating, else --click-weight if clicked, else --view-weight;
                     visitors become users named visitor:<id>; impressions are not interactions
  --report           prints impressions, clicks and CTR per A/B variant with a 95% Wilson interval
  --json <file>      with --report: also writes them as JSON
  --save <dir>       copies the event objects into <dir> under their keys (an events folder, for
                     npm run report -- <artifact> --events <dir>)

  --model <name>     the model the events name
  --since <date>     only events received on or after this UTC date
  --click-weight N   value of a clicked pair without a rating (default ${DEFAULT_WEIGHTS.click})
  --view-weight N    value of a viewed pair without a rating or click (default ${DEFAULT_WEIGHTS.view})
  --remote           the real bucket through wrangler; it cannot list objects, so also pass --keys
  --keys <file>      the object keys to read, one a line (e.g. from an S3 listing of events/<model>/)
  --bucket <name>    events bucket (default edgerec-events, as in wrangler.toml)
  --persist <dir>    local state root (default ${WRANGLER_DEV_PERSIST_DIR})
`;

runCli(async () => {
  const { values } = parse(
    process.argv.slice(2),
    {
      model: { type: 'string' },
      out: { type: 'string' },
      since: { type: 'string' },
      report: { type: 'boolean', default: false },
      save: { type: 'string' },
      json: { type: 'string' },
      'click-weight': { type: 'string' },
      'view-weight': { type: 'string' },
      remote: { type: 'boolean', default: false },
      keys: { type: 'string' },
      bucket: { type: 'string', default: 'edgerec-events' },
      persist: { type: 'string' },
    },
    USAGE,
  );
  if (!values.model) throw new UsageError('--model is required (see --help)');
  if (!values.out && !values.report && !values.save) throw new UsageError('say what to write: --out <ratings.csv>, --report or --save <dir> (see --help)');
  if (values.json && !values.report) throw new UsageError('--json <file> goes with --report (see --help)');
  if (values.remote && !values.keys) throw new UsageError("--remote needs --keys <file>: wrangler's CLI cannot list R2 objects (see --help)");
  const since = checkSince(values.since);
  const weights = {
    click: numberOption('click-weight', values['click-weight'], DEFAULT_WEIGHTS.click, -1e6, 1e6),
    view: numberOption('view-weight', values['view-weight'], DEFAULT_WEIGHTS.view, -1e6, 1e6),
  };
  const keys = values.keys ? (await readFile(values.keys, 'utf8')).split('\n').map((k) => k.trim()).filter(Boolean) : undefined;
  const bucket = await openBucketFrom(values);
  try {
    if (values.save) {
      const n = await saveEvents(bucket, values.model, values.save, { since, keys });
      process.stdout.write(`${values.save}: ${n} event objects of ${values.model} (an events folder for npm run report -- <artifact> --events ${values.save})\n`);
      if (!values.out && !values.report) return;
    }
    const read = await readEvents(bucket, values.model, { since, keys });
    const from = `${read.events.length} events from ${read.objects} objects${read.duplicates ? ` (${read.duplicates} repeated lines dropped)` : ''}`;
    if (values.out) {
      const x = toInteractions(read.events, weights);
      if (x.rows.length === 0) {
        throw new UsageError(`${values.model}: ${from}, none a click, view or rating with a user or visitor: nothing to train on, so ${values.out} was not written`);
      }
      await writeInteractionsCsv(values.out, x.rows);
      process.stdout.write(
        `${values.out}: ${x.rows.length} (user, item) rows from ${x.used} clicks, views and ratings; ${from}; ` +
          `${x.impressions} impressions and ${x.anonymous} anonymous events not used\n`,
      );
    }
    if (values.report) {
      const rows = ctrByVariant(read.events);
      process.stdout.write(`${values.model}: ${from}\n${rows.length ? formatCtrTable(rows) : 'no impressions or clicks'}\n`);
      if (values.json) await writeFile(values.json, JSON.stringify({ model: values.model, since: since ?? null, events: read.events.length, objects: read.objects, variants: rows }, null, 2) + '\n');
    }
  } finally {
    await bucket.close();
  }
});

import { BUCKET_USAGE, REGISTRY_OPTIONS, withBucket } from './bucket-args.js';
import { changeHidden, readHiddenList } from '../publish/hidden.js';
import { parse, runCli, UsageError } from './args.js';

const USAGE = `Usage: npm run hide -- --model <name> --items <id,...> [--unhide] [--remote] [--json]
       npm run hide -- --model <name> --list

Hides items from every answer of the Worker without retraining (similar items, recommendations, visitors,
popular, examples, the widget): writes <name>/HIDDEN beside CURRENT, which the Worker re-reads with CURRENT, so
the change is live within CURRENT_TTL_SECONDS (widget answers already in the edge cache expire after
CACHE_S_MAXAGE). Hidden items stay hidden across new versions until unhidden.

  --model <name>     the published model
  --items <ids>      comma-separated item ids (original ids, as in the dataset); each must be in the live version
  --unhide           remove these ids from the hidden list instead (each must be hidden now)
  --list             print the hidden ids and change nothing
${BUCKET_USAGE}
  --json             print the result as one JSON line
`;

runCli(async () => {
  const { values } = parse(
    process.argv.slice(2),
    {
      items: { type: 'string' },
      unhide: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      ...REGISTRY_OPTIONS,
    },
    USAGE,
  );
  if (!values.model) throw new UsageError('--model is required (see --help)');
  if (!values.list && values.items === undefined) throw new UsageError('--items <id,...> is required, or --list (see --help)');
  const ids = (values.items ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const model = values.model;
  await withBucket(values, async (bucket) => {
    if (values.list) {
      const { file } = await readHiddenList(bucket, model);
      if (values.json) process.stdout.write(JSON.stringify({ model: model, hidden: file.items, updatedAt: file.updatedAt || null }) + '\n');
      else process.stdout.write(`${model}: ${file.items.length ? `${file.items.length} hidden: ${file.items.join(', ')}` : 'nothing hidden'}\n`);
      return;
    }
    const r = await changeHidden(bucket, model, ids, values.unhide);
    if (values.json) process.stdout.write(JSON.stringify({ ...r, remote: values.remote }) + '\n');
    else
      process.stdout.write(
        `${r.model}: ${values.unhide ? 'unhid' : 'hid'} ${r.changed.length ? r.changed.join(', ') : 'nothing new'}; ${r.hidden.length} hidden now ` +
          `(${values.remote ? 'remote' : 'local'} bucket; the Worker applies it within CURRENT_TTL_SECONDS)\n`,
      );
  });
});

import { BUCKET_USAGE, REGISTRY_OPTIONS, withBucket } from './bucket-args.js';
import { rollback } from '../publish/registry-ops.js';
import { parse, runCli, UsageError } from './args.js';

const USAGE = `Usage: npm run rollback -- --model <name> [--to <version>] [--remote] [--json]

Moves <name>/CURRENT back to an earlier version: by default the one just before CURRENT in version order
(npm run models lists them). The target must be complete and pass the same validation the Worker applies
(checksum, tensor table, finite weights); otherwise nothing moves and the complete versions are listed.
The Worker picks the change up within CURRENT_TTL_SECONDS; widget answers already in the edge cache expire
after CACHE_S_MAXAGE.

  --model <name>     the model to roll back
  --to <version>     the version to make CURRENT (required with --remote: wrangler cannot list the real bucket)
${BUCKET_USAGE}
  --json             print the result as one JSON line
`;

runCli(async () => {
  const { values } = parse(
    process.argv.slice(2),
    {
      to: { type: 'string' },
      ...REGISTRY_OPTIONS,
    },
    USAGE,
  );
  if (!values.model) throw new UsageError('--model is required (see --help)');
  const model = values.model;
  await withBucket(values, async (bucket) => {
    const r = await rollback(bucket, model, values.to);
    if (values.json) process.stdout.write(JSON.stringify({ ...r, remote: values.remote }) + '\n');
    else
      process.stdout.write(
        `${r.model}: CURRENT moved from ${r.from ?? '(none)'} to ${r.to} (${r.kind}, created ${r.createdAt}) in the ${values.remote ? 'remote' : 'local'} bucket\n`,
      );
  });
});

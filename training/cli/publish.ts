import { BUCKET_USAGE, REGISTRY_OPTIONS, withBucket } from './bucket-args.js';
import { publishArtifact } from '../publish/publish.js';
import { parse, runCli, UsageError } from './args.js';

const USAGE = `Usage: npm run publish -- <artifact-dir> --model <name> [--remote] [--version <v>] [--persist <dir>]

Validates an artifact, uploads it to <name>/<version>/ in the model bucket, reads it back to verify, and then
moves <name>/CURRENT to it. The Worker picks the new version up within CURRENT_TTL_SECONDS.

  --model <name>     model name in URLs (a-z, 0-9, '-', '_')
  --version <v>      version folder (default: <UTC time>-<first 8 hex of the tensors' sha256>)
${BUCKET_USAGE}
  --json             print the result as one JSON line
`;

runCli(async () => {
  const { values, positionals } = parse(
    process.argv.slice(2),
    {
      version: { type: 'string' },
      ...REGISTRY_OPTIONS,
    },
    USAGE,
    true,
  );
  if (positionals.length !== 1) throw new UsageError(`expected one artifact folder, got ${positionals.length} (see --help)`);
  if (!values.model) throw new UsageError('--model is required: the name the Worker serves it under (see --help)');
  const model = values.model;
  await withBucket(values, async (bucket) => {
    const p = await publishArtifact(bucket, positionals[0], model, values.version);
    if (values.json) process.stdout.write(JSON.stringify({ ...p, remote: values.remote }) + '\n');
    else
      process.stdout.write(
        `published ${p.kind} model ${p.model} version ${p.version} (${p.bytes} bytes) to the ${values.remote ? 'remote' : 'local'} bucket; ` +
          `CURRENT ${p.previous ? `moved from ${p.previous}` : 'set'}\n`,
      );
  });
});

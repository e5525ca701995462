import { openLocalBucket, WRANGLER_DEV_PERSIST_DIR } from '../publish/local-bucket.js';
import { describeModel, listModels, NO_LIST_HELP, RegistryError, type ModelInfo } from '../publish/registry-ops.js';
import { parse, runCli } from './args.js';

const USAGE = `Usage: npm run models [-- --model <name>] [--json] [--remote]

Lists the models in the model bucket, every version of each (created-at, kind, size of tensors.bin, the headline
metric on the quantised weights, missing files) and which version CURRENT names.

  --model <name>     only this model
  --json             print one JSON object: {"models": [{"model", "current", "versions": [...]}]}
  --bucket <name>    bucket name (default edgerec-models, as in wrangler.toml)
  --persist <dir>    local state root (default ${WRANGLER_DEV_PERSIST_DIR})
  --remote           not supported: wrangler's CLI cannot list R2 objects (the error says what to do instead)
`;

function formatModel(m: ModelInfo): string {
  const lines = [`${m.model}: CURRENT ${m.current ?? '(none)'}`];
  if (m.current && !m.versions.some((v) => v.current)) lines.push(`  warning: CURRENT names ${m.current}, which has no files`);
  for (const v of m.versions) {
    const metric = v.headline ? `${v.headline.metric} ${v.headline.value.toFixed(4)}` : '-';
    const state = v.complete ? (v.problem ?? '') : `incomplete: ${v.missing.join(', ')} missing`;
    lines.push(
      [v.current ? '* ' : '  ', v.version.padEnd(28), (v.createdAt ?? '-').padEnd(26), (v.kind ?? '-').padEnd(9),
        (v.tensorsBytes === undefined ? '-' : `${v.tensorsBytes} B`).padStart(12), '  ', metric.padEnd(14), state].join('').trimEnd(),
    );
  }
  return lines.join('\n');
}

runCli(async () => {
  const { values } = parse(
    process.argv.slice(2),
    {
      model: { type: 'string' },
      json: { type: 'boolean', default: false },
      remote: { type: 'boolean', default: false },
      bucket: { type: 'string', default: 'edgerec-models' },
      persist: { type: 'string' },
    },
    USAGE,
  );
  if (values.remote) throw new RegistryError(`npm run models -- --remote is not supported: ${NO_LIST_HELP}`);
  const bucket = await openLocalBucket({ persistDir: values.persist, bucketName: values.bucket });
  try {
    const models = values.model ? [await describeModel(bucket, values.model)] : await listModels(bucket);
    if (values.model && models[0].current === null && models[0].versions.length === 0) {
      const names = (await listModels(bucket)).map((m) => m.model);
      throw new RegistryError(
        `model ${values.model} is not in the local bucket (${names.length ? `it has: ${names.join(', ')}` : 'it is empty'}): publish it with npm run publish -- <artifact-dir> --model ${values.model}`,
      );
    }
    if (values.json) process.stdout.write(JSON.stringify({ models }) + '\n');
    else if (!models.length) process.stdout.write('no models in the local bucket: publish one with npm run publish -- <artifact-dir> --model <name>\n');
    else process.stdout.write(models.map(formatModel).join('\n\n') + '\n');
  } finally {
    await bucket.close();
  }
});

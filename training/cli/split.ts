import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { endSplit, parseVariantSpec, writeSplit } from '../publish/split-ops.js';
import { BUCKET_USAGE, REGISTRY_OPTIONS, withBucket } from './bucket-args.js';
import { numberOption, parse, runCli, UsageError } from './args.js';

const USAGE = `Usage: npm run split -- --model <name> --variant a=<version>:90 --variant b=<version>:10 [--salt S] [--remote]
       npm run split -- --model <name> --end

Splits a model's traffic between versions (an A/B test): writes <name>/SPLIT beside CURRENT. The Worker assigns each
user or visitor a variant by a stable hash (no state: the same id always gets the same variant), answers from that
variant's version and names both in every answer ("variant", "version") and in the widget's links, so events carry
it (npm run events -- --report compares them). Every version named must be complete and valid, and CURRENT's plus
the variants' (each once) must fit the Worker's model memory budget together: all of them stay resident.

  --model <name>          the published model
  --variant n=<v>:<pct>   a variant: its name (a-z, 0-9, - or _), a published version, its whole percent of users;
                          2 to 4 variants, percents summing to 100. Users are sticky: keep the names and the salt
  --salt <s>              mixed into the hash (default: the current split's, else a fresh one): a new salt reshuffles
  --budget-mb <MB>        the budget to check against (default MODEL_MEMORY_BUDGET_MB of wrangler.toml [vars])
  --end                   remove the split: CURRENT answers everyone again
${BUCKET_USAGE}
  --json                  print the result as one JSON line
`;

async function budgetFromWranglerToml(): Promise<string | undefined> {
  const { unstable_readConfig } = await import('wrangler');
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const config = unstable_readConfig({ config: path.join(root, 'wrangler.toml') }, { hideWarnings: true });
  const v = (config.vars as Record<string, unknown>).MODEL_MEMORY_BUDGET_MB;
  return typeof v === 'string' ? v : undefined;
}

runCli(async () => {
  const { values } = parse(
    process.argv.slice(2),
    {
      variant: { type: 'string', multiple: true },
      salt: { type: 'string' },
      'budget-mb': { type: 'string' },
      end: { type: 'boolean', default: false },
      ...REGISTRY_OPTIONS,
    },
    USAGE,
  );
  if (!values.model) throw new UsageError('--model is required (see --help)');
  const model = values.model;
  await withBucket(values, async (bucket) => {
    if (values.end) {
      if (values.variant?.length) throw new UsageError('--end takes no --variant (see --help)');
      const had = await endSplit(bucket as never, model);
      process.stdout.write(values.json ? JSON.stringify({ model: model, ended: had }) + '\n' : `${model}: ${had ? 'split removed; CURRENT answers everyone within CURRENT_TTL_SECONDS' : 'had no split'}\n`);
      return;
    }
    if (!values.variant || values.variant.length < 2) throw new UsageError('give at least two --variant name=<version>:<percent> (see --help)');
    const budgetMb = numberOption('budget-mb', values['budget-mb'] ?? (await budgetFromWranglerToml()), 40, Number.MIN_VALUE);
    const r = await writeSplit(bucket, model, values.variant.map(parseVariantSpec), { budgetBytes: Math.floor(budgetMb * 1024 * 1024), salt: values.salt });
    if (values.json) process.stdout.write(JSON.stringify({ ...r, remote: values.remote }) + '\n');
    else
      process.stdout.write(
        `${r.model}: split ${r.split.variants.map((v) => `${v.name}=${v.version} ${v.weight}%`).join(', ')} (salt ${r.split.salt}; CURRENT ${r.current}); ` +
          `${r.memory.length} versions resident: ${r.totalBytes} of ${r.budgetBytes} budget bytes; live within CURRENT_TTL_SECONDS\n`,
      );
  });
});

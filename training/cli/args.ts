import { parseArgs, type ParseArgsConfig } from 'node:util';

import { UsageError } from '../options.js';

export { intOption, numberOption, UsageError } from '../options.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs with errors that say what was wrong and point at --help. */
export function parse<O extends Options>(argv: string[], options: O, usage: string, allowPositionals = false) {
  try {
    const parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean' } }, allowPositionals, strict: true });
    if ((parsed.values as { help?: boolean }).help) {
      process.stdout.write(usage.trimEnd() + '\n');
      process.exit(0);
    }
    return parsed;
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
}

/** Runs a CLI body: known failures are one clear line on stderr and a non-zero exit, never a stack trace. */
export function runCli(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    const err = e as Error;
    const known = err instanceof UsageError || ['DataError', 'DivergenceError', 'ArtifactError', 'PublishError'].includes(err?.name);
    process.stderr.write(`error: ${err?.message ?? String(e)}\n`);
    if (!known && process.env.EDGEREC_DEBUG) process.stderr.write(`${err?.stack}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  });
}

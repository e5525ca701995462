import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { NO_CONDITIONAL_WRITE_NOTE, type Bucket } from './publish.js';

/**
 * The real R2 bucket, through `wrangler r2 object put/get --remote` (wrangler holds the account credentials:
 * `npx wrangler login` or CLOUDFLARE_API_TOKEN). One wrangler process per object: publishing is rare and small.
 * wrangler's `r2 object put` has no conditional form, so this bucket offers no putIf (and does not pretend to):
 * CURRENT is written plainly and read back, and opening it says so on stderr (`note` overrides where it goes).
 */
export async function openRemoteBucket(
  bucketName: string,
  note: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<Bucket & { close(): Promise<void> }> {
  note(NO_CONDITIONAL_WRITE_NOTE);
  const bin = path.join(path.dirname(createRequire(import.meta.url).resolve('wrangler/package.json')), 'bin/wrangler.js');
  const scratch = await mkdtemp(path.join(tmpdir(), 'edgerec-r2-'));
  const wrangler = (args: string[]) =>
    promisify(execFile)(process.execPath, [bin, 'r2', 'object', ...args, '--remote'], {
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
      maxBuffer: 16 << 20,
    });
  let n = 0;
  return {
    async put(key, data) {
      const file = path.join(scratch, `put-${n++}`);
      await writeFile(file, data);
      await wrangler(['put', `${bucketName}/${key}`, '--file', file]);
    },
    async get(key) {
      const file = path.join(scratch, `get-${n++}`);
      try {
        await wrangler(['get', `${bucketName}/${key}`, '--file', file]);
        return new Uint8Array(await readFile(file));
      } catch (e) {
        if (/not found|does not exist|404/i.test(String((e as { stderr?: string }).stderr ?? e))) return null;
        throw e;
      }
    },
    close: () => rm(scratch, { recursive: true, force: true }),
  };
}

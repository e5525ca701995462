import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeArtifact } from '../../shared/artifact/decode.js';
import { registryKeys } from '../../shared/registry.js';
import { changeHidden, readHiddenList } from '../../training/publish/hidden.js';
import { openLocalBucket, type LocalBucket } from '../../training/publish/local-bucket.js';
import { publishArtifact } from '../../training/publish/publish.js';
import { REPO_ROOT } from '../helpers/worker.js';
import { writeTinyArtifact } from '../helpers/handmade-artifact.js';

describe('npm run hide: <model>/HIDDEN over the local R2 bucket', () => {
  let persistDir: string;
  let bucket: LocalBucket;

  beforeAll(async () => {
    persistDir = await mkdtemp(path.join(tmpdir(), 'edgerec-hide-'));
    bucket = await openLocalBucket({ persistDir, bucketName: 'edgerec-models' });
    await publishArtifact(bucket, await writeTinyArtifact({ titles: ['A', 'B', 'C', 'D'], createdAt: '2026-11-01T12:00:00.000Z', rmse: 0.9 }), 'shop');
  });
  afterAll(async () => {
    await bucket?.close();
    await rm(persistDir, { recursive: true, force: true });
  });

  const hiddenNow = async () => (await readHiddenList(bucket, 'shop')).file.items;

  it('hides, adds, unhides; each write keeps the others', async () => {
    // Format 2: the ids are in tensors.bin's catalogue blocks; read them as the CLI does.
    const version = new TextDecoder().decode((await bucket.get('shop/CURRENT'))!);
    const file = async (f: string) => (await bucket.get(`shop/${version}/${f}`))!;
    const ids = (await decodeArtifact(new TextDecoder().decode(await file('manifest.json')), await file('tensors.bin'), new TextDecoder().decode(await file('items.json')))).catalog.itemIds.all();
    expect((await changeHidden(bucket, 'shop', [ids[1]], false)).hidden).toEqual([ids[1]]);
    const again = await changeHidden(bucket, 'shop', [ids[1], ids[2]], false);
    expect([again.hidden, again.changed, again.conditional]).toEqual([[ids[1], ids[2]], [ids[2]], true]);
    expect((await changeHidden(bucket, 'shop', [ids[1]], true)).hidden).toEqual([ids[2]]);
    expect(await hiddenNow()).toEqual([ids[2]]);
  });

  it('refuses unknown ids, unhiding what is not hidden, and a model without CURRENT, writing nothing', async () => {
    const before = await bucket.get(registryKeys.hidden('shop'));
    await expect(changeHidden(bucket, 'shop', ['no-such'], false)).rejects.toThrow(/has no item "no-such": nothing was hidden/);
    await expect(changeHidden(bucket, 'shop', ['no-such'], true)).rejects.toThrow(/"no-such" is not hidden in shop, so nothing was changed/);
    await expect(changeHidden(bucket, 'nosuch', ['1'], false)).rejects.toThrow(/model nosuch has no CURRENT: publish it first/);
    expect(await bucket.get(registryKeys.hidden('shop'))).toEqual(before);
  });

  it('the CLI exits non-zero with the reason on stderr and prints the list as JSON', async () => {
    const tsx = path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs');
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, [tsx, 'training/cli/hide.ts', ...args, '--persist', persistDir], { cwd: REPO_ROOT }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    // The local bucket is a Miniflare instance over the persist dir: release ours while the CLI opens it.
    await bucket.close();
    try {
      const bad = await run(['--model', 'shop', '--items', 'no-such']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/has no item "no-such"/);
      const list = await run(['--model', 'shop', '--list', '--json']);
      expect(list.code).toBe(0);
      expect(JSON.parse(list.stdout).hidden).toHaveLength(1);
    } finally {
      bucket = await openLocalBucket({ persistDir, bucketName: 'edgerec-models' });
    }
  });
});

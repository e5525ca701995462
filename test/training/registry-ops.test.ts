import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryKeys } from '../../shared/registry.js';
import { openLocalBucket, type LocalBucket } from '../../training/publish/local-bucket.js';
import { publishArtifact, type Bucket } from '../../training/publish/publish.js';
import { compareVersions, describeModel, listModels, NO_LIST_HELP, rollback } from '../../training/publish/registry-ops.js';
import { writeTinyArtifact } from '../helpers/handmade-artifact.js';

const TITLES = ['A', 'B', 'C', 'D', 'E'];
const DAYS = ['2026-11-01', '2026-11-02', '2026-11-03'];

describe('registry commands over the local R2 bucket (Miniflare, temp persist dir)', () => {
  let persistDir: string;
  let bucket: LocalBucket;
  /** Artifact folders for day 1..3 (same weights, different createdAt: different versions). */
  let dirs: string[];

  beforeAll(async () => {
    persistDir = await mkdtemp(path.join(tmpdir(), 'edgerec-registry-'));
    [bucket, ...dirs] = await Promise.all([
      openLocalBucket({ persistDir, bucketName: 'edgerec-models' }),
      ...DAYS.map((d, i) => writeTinyArtifact({ titles: TITLES, createdAt: `${d}T12:00:00.000Z`, rmse: 0.9 - i / 100 })),
    ]);
  });
  afterAll(async () => {
    await bucket?.close();
    await rm(persistDir, { recursive: true, force: true });
  });

  /** Publishes day 1, 2, 3 of `model` in order; returns the version names. */
  const publishAll = async (model: string) => {
    const versions: string[] = [];
    for (const d of dirs) versions.push((await publishArtifact(bucket, d, model)).version);
    return versions;
  };
  const current = async (model: string) => new TextDecoder().decode((await bucket.get(registryKeys.current(model)))!);

  it('orders versions by time, and hand-made names numerically', () => {
    expect(['20261103T120000Z-aa', '20261101T120000Z-ff', '20261102T000000Z-00'].sort(compareVersions)).toEqual([
      '20261101T120000Z-ff',
      '20261102T000000Z-00',
      '20261103T120000Z-aa',
    ]);
    expect(['v10', 'v2', 'v1'].sort(compareVersions)).toEqual(['v1', 'v2', 'v10']);
  });

  it('lists models, their versions (created-at, kind, bytes, headline metric) and CURRENT', async () => {
    const versions = await publishAll('listed');
    await publishArtifact(bucket, dirs[0], 'another');
    expect(versions).toEqual(['20261101T120000Z', '20261102T120000Z', '20261103T120000Z'].map((t) => expect.stringMatching(new RegExp(`^${t}-[0-9a-f]{8}$`))));
    const models = await listModels(bucket);
    expect(models.map((m) => m.model)).toEqual(['another', 'listed']);
    const listed = models[1];
    expect(listed.current).toBe(versions[2]);
    expect(listed.versions.map((v) => v.version)).toEqual(versions);
    expect(listed.versions.map((v) => v.current)).toEqual([false, false, true]);
    expect(listed.versions.map((v) => v.createdAt)).toEqual(DAYS.map((d) => `${d}T12:00:00.000Z`));
    expect(listed.versions.map((v) => v.headline)).toEqual([0.9, 0.89, 0.88].map((value) => ({ metric: 'rmse', value })));
    for (const v of listed.versions) {
      expect(v).toMatchObject({ complete: true, missing: [], kind: 'mf' });
      // Weights: 5 items x 4 f32, 2 users x 4 f32, 1 global bias; each tensor 16-byte aligned: 80 + 32 + 4 (to 128).
      // Format 2 packs the catalogue after them: 12 blocks, each 16-byte aligned; the last (seen.indices, empty) ends
      // the file. What the listing reports is the whole tensors.bin.
      expect(v.tensorsBytes).toBe(352);
    }
  });

  it('rollback picks the previous version by version order, then the one before; refuses past the oldest', async () => {
    const versions = await publishAll('rb');
    expect(await rollback(bucket, 'rb')).toEqual({ model: 'rb', from: versions[2], to: versions[1], kind: 'mf', createdAt: `${DAYS[1]}T12:00:00.000Z` });
    expect(await current('rb')).toBe(versions[1]);
    expect((await rollback(bucket, 'rb')).to).toBe(versions[0]);
    await expect(rollback(bucket, 'rb')).rejects.toThrow(`no version of rb comes before CURRENT ${versions[0]}; complete versions besides CURRENT: ${versions[1]}, ${versions[2]}`);
    expect(await current('rb')).toBe(versions[0]);
    // --to moves forward too (a roll-forward after a rollback).
    expect((await rollback(bucket, 'rb', versions[2])).to).toBe(versions[2]);
    await expect(rollback(bucket, 'rb', versions[2])).rejects.toThrow(`${versions[2]} is already CURRENT for rb`);
    await expect(rollback(bucket, 'rb', 'no-such-version')).rejects.toThrow(
      /refusing to roll rb back to no-such-version: version no-such-version of rb is incomplete: manifest.json, tensors.bin, items.json missing; CURRENT stays/,
    );
    await expect(rollback(bucket, 'rb', '../x')).rejects.toThrow(/version "\.\.\/x" is malformed/);
    expect(await current('rb')).toBe(versions[2]);
  });

  it('refuses an incomplete previous version, says which file is missing and what is available; CURRENT stays', async () => {
    const versions = await publishAll('holey');
    await bucket.delete(registryKeys.file('holey', versions[1], 'tensors.bin'));
    const info = await describeModel(bucket, 'holey');
    expect(info.versions[1]).toMatchObject({ version: versions[1], complete: false, missing: ['tensors.bin'] });
    await expect(rollback(bucket, 'holey')).rejects.toThrow(
      `refusing to roll holey back to ${versions[1]}: version ${versions[1]} of holey is incomplete: tensors.bin missing; ` +
        `CURRENT stays ${versions[2]}; complete versions besides CURRENT: ${versions[0]}`,
    );
    expect(await current('holey')).toBe(versions[2]);
    expect((await rollback(bucket, 'holey', versions[0])).to).toBe(versions[0]);
  });

  it('refuses a version that fails validation (a flipped byte in tensors.bin: checksum mismatch)', async () => {
    const versions = await publishAll('corrupt');
    const key = registryKeys.file('corrupt', versions[1], 'tensors.bin');
    const bytes = (await bucket.get(key))!;
    bytes[0] ^= 0xff;
    await bucket.put(key, bytes);
    await expect(rollback(bucket, 'corrupt')).rejects.toThrow(
      new RegExp(`refusing to roll corrupt back to ${versions[1]}: version ${versions[1]} of corrupt fails validation: tensors.bin checksum mismatch`),
    );
    expect(await current('corrupt')).toBe(versions[2]);
  });

  it('a bucket that cannot list (the remote one) needs --to, and says why and what to do', async () => {
    const versions = await publishAll('remote');
    const noList: Bucket = { get: (k) => bucket.get(k), put: (k, d) => bucket.put(k, d) };
    await expect(rollback(noList, 'remote')).rejects.toThrow(NO_LIST_HELP);
    await expect(listModels(noList)).rejects.toThrow(/wrangler's CLI can get, put and delete R2 objects but cannot list them/);
    expect(await rollback(noList, 'remote', versions[0])).toMatchObject({ from: versions[2], to: versions[0] });
    expect(await current('remote')).toBe(versions[0]);
  });
});

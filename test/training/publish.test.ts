import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalBucket, type LocalBucket } from '../../training/publish/local-bucket.js';
import { publishArtifact, PublishError } from '../../training/publish/publish.js';
import type { TrainReport } from '../../training/pipeline/kinds.js';
import { trainSmallArtifact } from '../helpers/handmade-artifact.js';
import { cp } from 'node:fs/promises';

describe('publish to the local R2 bucket', () => {
  let bucket: LocalBucket;
  let persist: string;
  let report: TrainReport;

  beforeAll(async () => {
    persist = await mkdtemp(path.join(tmpdir(), 'edgerec-r2-'));
    [bucket, report] = await Promise.all([openLocalBucket({ persistDir: persist, bucketName: 'edgerec-models' }), trainSmallArtifact()]);
  });
  afterAll(async () => {
    await bucket?.close();
    await rm(persist, { recursive: true, force: true });
  });

  it('uploads the three files under an immutable version, then moves CURRENT', async () => {
    const p = await publishArtifact(bucket, report.out, 'demo', 'v1');
    expect(p).toMatchObject({ model: 'demo', version: 'v1', previous: null, kind: 'mf' });
    expect(await bucket.list('demo/')).toEqual(['demo/CURRENT', 'demo/v1/items.json', 'demo/v1/manifest.json', 'demo/v1/tensors.bin']);
    expect(new TextDecoder().decode((await bucket.get('demo/CURRENT'))!)).toBe('v1');
    const second = await publishArtifact(bucket, report.out, 'demo', 'v2');
    expect(second.previous).toBe('v1');
  });

  it('refuses a corrupted artifact before uploading anything, and CURRENT stays', async () => {
    const bad = await mkdtemp(path.join(tmpdir(), 'edgerec-bad-'));
    await cp(report.out, bad, { recursive: true });
    await writeFile(path.join(bad, 'tensors.bin'), new Uint8Array(10));
    await expect(publishArtifact(bucket, bad, 'demo', 'v3')).rejects.toThrow(PublishError);
    await expect(publishArtifact(bucket, bad, 'demo', 'v3')).rejects.toThrow(/refusing to publish .*tensors.bin is 10 bytes/);
    expect(await bucket.list('demo/v3/')).toEqual([]);
    expect(new TextDecoder().decode((await bucket.get('demo/CURRENT'))!)).toBe('v2');
  });

  it('refuses a folder that is not an artifact, and a malformed model name', async () => {
    await expect(publishArtifact(bucket, tmpdir() + '/nope-edgerec', 'demo')).rejects.toThrow(/is missing: .* is not an artifact folder/);
    await expect(publishArtifact(bucket, report.out, '../evil')).rejects.toThrow(/model name "..\/evil" is malformed/);
  });
});

// Publishing under contention: uploads are verified before CURRENT moves, and CURRENT moves by compare-and-swap
// (R2 put with onlyIf), so of two publishers (or a publish and a rollback) that start from the same CURRENT exactly
// one moves it and the other gets an error naming the version it raced against.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalBucket, type LocalBucket } from '../../training/publish/local-bucket.js';
import { NO_CONDITIONAL_WRITE_NOTE, publishArtifact, PublishError, type Bucket } from '../../training/publish/publish.js';
import { RegistryError, rollback } from '../../training/publish/registry-ops.js';
import { openRemoteBucket } from '../../training/publish/remote-bucket.js';
import { writeHandmadeArtifact } from '../helpers/handmade-artifact.js';
import { swapPair } from '../helpers/robust-models.js';

/**
 * The bucket, with conditional writes to CURRENT held until `parties` of them have arrived: by then every racer has
 * read CURRENT and uploaded its version, so the race is decided by the compare-and-swap alone, every time.
 */
function gated(bucket: LocalBucket, parties: number): Bucket {
  let arrived = 0;
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  return {
    ...bucket,
    async putIf(key, data, etag) {
      if (key.endsWith('/CURRENT')) {
        if (++arrived === parties) open();
        await gate;
      }
      return bucket.putIf(key, data, etag);
    },
  };
}

const settle = (ps: Promise<unknown>[]) => Promise.allSettled(ps);

describe('CURRENT moves by compare-and-swap', () => {
  let bucket: LocalBucket;
  let persist: string;
  let dirs: string[];

  beforeAll(async () => {
    persist = await mkdtemp(path.join(tmpdir(), 'edgerec-race-'));
    const [a, b] = swapPair({ items: 30, users: 4, dim: 6 });
    const c = { ...a, items: a.items.map((it) => ({ ...it, bias: (it.bias ?? 0) + 0.5 })) };
    [bucket, ...dirs] = await Promise.all([
      openLocalBucket({ persistDir: persist, bucketName: 'race' }),
      writeHandmadeArtifact(a),
      writeHandmadeArtifact(b),
      writeHandmadeArtifact(c),
    ]);
  });
  afterAll(async () => {
    await bucket?.close();
    if (persist) await rm(persist, { recursive: true, force: true });
  });

  it("Miniflare's R2 applies onlyIf atomically: exact etag, only-if-absent, and one winner among 20 concurrent writers", async () => {
    expect(await bucket.putIf('k/CURRENT', 'one', null)).toBe(true);
    expect(await bucket.putIf('k/CURRENT', 'two', null)).toBe(false);
    const one = (await bucket.getWithEtag('k/CURRENT'))!;
    expect(new TextDecoder().decode(one.data)).toBe('one');
    expect(one.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(await bucket.putIf('k/CURRENT', 'three', one.etag)).toBe(true);
    expect(await bucket.putIf('k/CURRENT', 'four', one.etag)).toBe(false);
    const three = (await bucket.getWithEtag('k/CURRENT'))!;
    expect(new TextDecoder().decode(three.data)).toBe('three');
    const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => bucket.putIf('k/CURRENT', `w${i}`, three.etag)));
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(new TextDecoder().decode((await bucket.get('k/CURRENT'))!)).toBe(`w${wins.indexOf(true)}`);
  });

  it('two first publishes of different versions: exactly one sets CURRENT (only-if-absent), the other names the winner', async () => {
    const racing = gated(bucket, 2);
    const results = await settle([publishArtifact(racing, dirs[0], 'first'), publishArtifact(racing, dirs[1], 'first')]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect([won.length, lost.length]).toEqual([1, 1]);
    const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof publishArtifact>>>).value;
    expect(winner).toMatchObject({ previous: null, conditional: true });
    const err = (lost[0] as PromiseRejectedResult).reason as Error;
    expect(err).toBeInstanceOf(PublishError);
    expect(err.message).toMatch(new RegExp(`^CURRENT of first moved while (\\S+) was being uploaded: it named \\(nothing\\) then and names ${winner.version} now \\(another publish or rollback won the race\\)\\. \\1 is uploaded and verified but not live`));
    expect(new TextDecoder().decode((await bucket.get('first/CURRENT'))!)).toBe(winner.version);
    // The loser's folder is complete (verified before the move), so it can be rolled to deliberately.
    const loserVersion = /while (\S+) was/.exec(err.message)![1];
    expect(loserVersion).not.toBe(winner.version);
    expect((await bucket.list(`first/${loserVersion}/`)).sort()).toEqual(['items.json', 'manifest.json', 'tensors.bin'].map((f) => `first/${loserVersion}/${f}`));
  });

  it('two publishes from the same CURRENT: exactly one moves it (etag match), the other fails naming the version it raced against', async () => {
    let previous = (await publishArtifact(bucket, dirs[2], 'two')).version;
    for (let round = 0; round < 3; round++) {
      const racing = gated(bucket, 2);
      const names = [`a${round}`, `b${round}`];
      const results = await settle([publishArtifact(racing, dirs[0], 'two', names[0]), publishArtifact(racing, dirs[1], 'two', names[1])]);
      const won = names.filter((_, i) => results[i].status === 'fulfilled');
      expect(won).toHaveLength(1);
      const [winner] = won;
      const loser = names.find((n) => n !== winner)!;
      const reason = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(PublishError);
      expect(reason.message).toContain(`CURRENT of two moved while ${loser} was being uploaded: it named ${previous} then and names ${winner} now`);
      expect(new TextDecoder().decode((await bucket.get('two/CURRENT'))!)).toBe(winner);
      previous = winner;
    }
  });

  it('a rollback racing a publish: one of them moves CURRENT, the other says what CURRENT names now', async () => {
    const v1 = (await publishArtifact(bucket, dirs[0], 'rb', 'v1')).version;
    const v2 = (await publishArtifact(bucket, dirs[1], 'rb', 'v2')).version;
    const racing = gated(bucket, 2);
    const [pub, back] = await settle([publishArtifact(racing, dirs[2], 'rb', 'v3'), rollback(racing, 'rb', v1)]);
    const current = new TextDecoder().decode((await bucket.get('rb/CURRENT'))!);
    expect([pub.status, back.status].sort()).toEqual(['fulfilled', 'rejected']);
    if (pub.status === 'fulfilled') {
      expect(current).toBe('v3');
      expect((back as PromiseRejectedResult).reason).toBeInstanceOf(RegistryError);
      expect(((back as PromiseRejectedResult).reason as Error).message).toMatch(
        new RegExp(`^CURRENT of rb moved while rolling back to ${v1}: it named ${v2} then and names v3 now \\(another publish or rollback won the race\\)`),
      );
    } else {
      expect(current).toBe(v1);
      expect(((pub as PromiseRejectedResult).reason as Error).message).toContain(`it named ${v2} then and names ${v1} now`);
    }
  });

  it('without conditional writes (the remote bucket) CURRENT is written and read back, and a lost race is still reported', async () => {
    // A bucket like the wrangler-CLI one (no putIf), where another writer overwrites CURRENT right after our write.
    const plain: Bucket = {
      put: async (key, data) => {
        await bucket.put(key, data);
        if (key === 'plain/CURRENT') await bucket.put(key, 'someone-else');
      },
      get: (key) => bucket.get(key),
    };
    await expect(publishArtifact(plain, dirs[0], 'plain', 'p1')).rejects.toThrow(/^CURRENT of plain moved while p1 was being uploaded: it named \(nothing\) then and names someone-else now/);
    const quiet: Bucket = { put: (k, d) => bucket.put(k, d), get: (k) => bucket.get(k) };
    expect(await publishArtifact(quiet, dirs[0], 'plain', 'p2')).toMatchObject({ version: 'p2', previous: 'someone-else', conditional: false });
  });

  it('the remote bucket offers no conditional put and says so when opened, instead of faking one', async () => {
    const notes: string[] = [];
    const remote = await openRemoteBucket('edgerec-models', (line) => notes.push(line));
    try {
      expect(notes).toEqual([NO_CONDITIONAL_WRITE_NOTE]);
      expect(NO_CONDITIONAL_WRITE_NOTE).toMatch(/cannot write R2 objects conditionally.*last write wins/);
      expect('putIf' in remote || 'getWithEtag' in remote).toBe(false);
    } finally {
      await remote.close();
    }
  });
});

// A/B splits: assignment in the stated proportions and sticky (shared/split.ts, over 10,000 ids), and in workerd
// through Miniflare: every answer names its variant and version, and its results are that version's (computed in
// Node from the same artifacts); the widget's links carry the variant; both versions are resident (the memory cost,
// in the model store's own accounting); a split that does not fit is refused by the CLI and by the Worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedModel } from '../shared/model/loaded.js';
import { recommendForUser, similarItems } from '../shared/model/queries.js';
import { assignVariant, parseSplit, type SplitFile } from '../shared/split.js';
import { bucketOverR2 } from '../training/publish/local-bucket.js';
import { publishArtifact } from '../training/publish/publish.js';
import { writeSplit } from '../training/publish/split-ops.js';
import { loadHandmade, writeHandmadeArtifact, type HandmadeModel } from './helpers/handmade-artifact.js';
import { swapPair } from './helpers/robust-models.js';
import { startWorker, type StartedWorker } from './helpers/worker.js';

const split = (weights: number[]): SplitFile => ({
  variants: weights.map((weight, i) => ({ name: 'abcd'[i], version: `v${i + 1}`, weight })),
  salt: 's1',
  updatedAt: '',
});

describe('assignVariant (stateless, sticky)', () => {
  const ids = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);

  it.each([
    [[90, 10]],
    [[50, 50]],
    [[70, 20, 10]],
    [[25, 25, 25, 25]],
  ])('weights %j: shares over 10,000 users within 3 standard deviations; the same id always gets the same variant', (weights) => {
    const s = split(weights);
    const counts = new Map<string, number>();
    for (const id of ids) {
      const v = assignVariant(s, 'demo', { user: id });
      counts.set(v.name, (counts.get(v.name) ?? 0) + 1);
      expect(assignVariant(s, 'demo', { user: id })).toBe(v);
    }
    weights.forEach((w, i) => {
      const expected = (10_000 * w) / 100;
      const sd = Math.sqrt(10_000 * (w / 100) * (1 - w / 100));
      expect(Math.abs((counts.get('abcd'[i]) ?? 0) - expected), `variant ${'abcd'[i]}`).toBeLessThanOrEqual(3 * sd);
    });
  });

  it('the variant a request names wins when the split has it; visitors and users hash apart; no id: the first variant; a new salt reshuffles', () => {
    const s = split([90, 10]);
    expect(assignVariant(s, 'demo', { user: 'user-1', variant: 'b' }).name).toBe('b');
    expect(assignVariant(s, 'demo', { variant: 'zz' }).name).toBe('a');
    expect(assignVariant(s, 'demo', {}).name).toBe('a');
    const moved = ids.filter((id) => assignVariant(s, 'demo', { user: id }).name !== assignVariant({ ...s, salt: 's2' }, 'demo', { user: id }).name).length;
    // Independent draws move 2 * 0.9 * 0.1 = 18% of users.
    expect(Math.abs(moved - 1800)).toBeLessThan(3 * Math.sqrt(10_000 * 0.18 * 0.82));
    const asVisitor = ids.filter((id) => assignVariant(s, 'demo', { user: id }).name !== assignVariant(s, 'demo', { visitor: id }).name).length;
    expect(asVisitor).toBeGreaterThan(1000);
  });

  it('parseSplit refuses what the Worker must not apply, naming it', () => {
    const ok = { variants: [{ name: 'a', version: 'v1', weight: 90 }, { name: 'b', version: 'v2', weight: 10 }], salt: 'x', updatedAt: '' };
    expect(parseSplit(JSON.stringify(ok))).toEqual(ok);
    const bad: [unknown, RegExp][] = [
      [{ ...ok, variants: [ok.variants[0]] }, /names 1 variants; a split has 2 to 4/],
      [{ ...ok, variants: [ok.variants[0], { ...ok.variants[1], weight: 20 }] }, /weights sum to 110; they must sum to 100/],
      [{ ...ok, variants: [ok.variants[0], { ...ok.variants[1], name: 'a' }] }, /names variant "a" twice/],
      [{ ...ok, variants: [ok.variants[0], { ...ok.variants[1], name: 'B' }] }, /variants\[1\]\.name is "B"/],
      [{ ...ok, variants: [ok.variants[0], { ...ok.variants[1], version: '../x' }] }, /variants\[1\]\.version is "\.\.\/x", which is not a version name/],
      [{ ...ok, variants: [ok.variants[0], { ...ok.variants[1], weight: 9.5 }] }, /weight is 9\.5: a whole percent/],
      [{ ...ok, salt: '' }, /salt must be a string/],
    ];
    for (const [v, re] of bad) expect(() => parseSplit(JSON.stringify(v))).toThrow(re);
    expect(() => parseSplit('{')).toThrow(/SPLIT is not valid JSON/);
  });
});

interface Answer {
  version: string;
  variant?: string;
  results: { id: string }[];
}

describe('a split in workerd', () => {
  let worker: StartedWorker;
  let models: HandmadeModel[];
  let served: LoadedModel[];
  let versions: string[];
  let theSplit: SplitFile;
  const json = async (p: string) => {
    const res = await worker.fetch(p);
    expect(res.status, p).toBe(200);
    return (await res.json()) as Answer;
  };

  beforeAll(async () => {
    models = swapPair({ items: 30, users: 40, dim: 4 });
    const [w, ...dirs] = await Promise.all([startWorker(), ...models.map((m) => writeHandmadeArtifact(m))]);
    worker = w;
    const bucket = bucketOverR2(worker.bucket);
    const v1 = (await publishArtifact(bucket, dirs[0], 'ab', 'v1')).version;
    const v2 = (await publishArtifact(bucket, dirs[1], 'ab', 'v2')).version;
    await publishArtifact(bucket, dirs[0], 'plain', 'v1');
    // CURRENT is v2 now; the control is v1, the treatment v2.
    await bucket.put('ab/CURRENT', v1);
    versions = [v1, v2];
    theSplit = (await writeSplit(bucket, 'ab', [{ name: 'a', version: v1, weight: 70 }, { name: 'b', version: v2, weight: 30 }], { budgetBytes: 40 * 1024 * 1024, salt: 'test' })).split;
    served = await Promise.all(models.map((m) => loadHandmade(m, 'ab')));
  });
  afterAll(async () => {
    for (const m of served ?? []) m.dispose();
    await worker?.dispose();
  });

  it("every user's answer names the variant the hash gives and its version, and its results are that version's", async () => {
    const names = new Set<string>();
    for (let u = 0; u < 40; u++) {
      const user = `u${u}`;
      const want = assignVariant(theSplit, 'ab', { user });
      const a = await json(`/v1/models/ab/users/${user}/recommendations?k=5`);
      expect([a.variant, a.version]).toEqual([want.name, want.version]);
      const m = served[versions.indexOf(want.version)];
      expect(a.results.map((r) => r.id)).toEqual(recommendForUser(m, m.users.indexOf(user, 'ab'), 5, true).map((s) => m.item(s.index).id));
      // Sticky: asked again, the same.
      expect((await json(`/v1/models/ab/users/${user}/recommendations?k=5`)).variant).toBe(want.name);
      names.add(want.name);
    }
    expect([...names].sort()).toEqual(['a', 'b']);
  });

  it('visitors are assigned by ?visitor= (or X-Edgerec-Visitor); ?variant= names one; a bad value is a 400', async () => {
    for (const visitor of ['v-1', 'v-2', 'v-3', 'v-4', 'v-5', 'v-6']) {
      const want = assignVariant(theSplit, 'ab', { visitor });
      const a = await json(`/v1/models/ab/items/i3/similar?k=4&visitor=${visitor}`);
      const m = served[versions.indexOf(want.version)];
      expect([a.variant, a.version]).toEqual([want.name, want.version]);
      expect(a.results.map((r) => r.id)).toEqual(similarItems(m, m.items.indexOf('i3', 'ab'), 4).map((s) => m.item(s.index).id));
      const viaHeader = (await (await worker.fetch('/v1/models/ab/items/i3/similar?k=4', { headers: { 'X-Edgerec-Visitor': visitor } })).json()) as Answer;
      expect(viaHeader.variant).toBe(want.name);
    }
    expect((await json('/v1/models/ab/items/i3/similar?k=4&variant=b')).version).toBe(versions[1]);
    expect((await json('/v1/models/ab/items/i3/similar?k=4')).variant).toBe('a');
    const bad = await worker.fetch('/v1/models/ab/items/i3/similar?variant=B%21');
    expect([bad.status, ((await bad.json()) as { error: { code: string } }).error.code]).toEqual([400, 'bad_variant']);
    // Without a split, answers are as before: no variant.
    expect(await json('/v1/models/plain/items/i3/similar?k=4&visitor=v-1')).not.toHaveProperty('variant');
  });

  it("the widget names the variant on its section and in every link, so events carry it", async () => {
    const html = await (await worker.fetch('/widget/ab/items/i3?k=3&variant=b')).text();
    expect(html).toContain(`data-edgerec-version="${versions[1]}" data-edgerec-variant="b"`);
    const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
    expect(hrefs).toHaveLength(3);
    for (const h of hrefs) expect(h).toMatch(/\/widget\/ab\/items\/i\d+\?k=3&amp;variant=b$/);
    const a = await (await worker.fetch('/widget/ab/items/i3?k=3&variant=a')).text();
    expect(a).toContain(`data-edgerec-version="${versions[0]}" data-edgerec-variant="a"`);
  });

  it('both versions are resident: /healthz shows the split and what each holds (the memory cost of the split)', async () => {
    const h = (await (await worker.fetch('/healthz')).json()) as {
      modelMemory: { residentBytes: number };
      models: { model: string; version: string | null; residentBytes: number; split?: unknown }[];
    };
    const ab = h.models.find((m) => m.model === 'ab')!;
    const pinned = h.models.find((m) => m.model === `ab@${versions[1]}`)!;
    expect(ab).toMatchObject({ version: versions[0], split: [{ variant: 'a', version: versions[0], weight: 70 }, { variant: 'b', version: versions[1], weight: 30 }] });
    expect(pinned.version).toBe(versions[1]);
    expect(pinned.residentBytes).toBe(served[1].residentBytes + served[1].engineBytes);
    expect(ab.residentBytes).toBe(served[0].residentBytes + served[0].engineBytes);
    const plain = h.models.find((m) => m.model === 'plain')?.residentBytes ?? 0;
    expect(h.modelMemory.residentBytes).toBe(ab.residentBytes + pinned.residentBytes + plain);
  });

  it('the CLI refuses a split that does not fit the budget, or names a missing version, and writes nothing', async () => {
    const bucket = bucketOverR2(worker.bucket);
    const before = await worker.bucket.get('ab/SPLIT').then((o) => o!.text());
    const one = served[0].residentBytes + served[0].engineBytes;
    await expect(writeSplit(bucket, 'ab', [{ name: 'a', version: versions[0], weight: 50 }, { name: 'b', version: versions[1], weight: 50 }], { budgetBytes: one + 1 })).rejects.toThrow(
      new RegExp(`would keep 2 versions of ab resident .*: ${2 * one} bytes, more than the Worker's model memory budget of ${one + 1} bytes`),
    );
    await expect(writeSplit(bucket, 'ab', [{ name: 'a', version: versions[0], weight: 50 }, { name: 'b', version: 'v9', weight: 50 }], { budgetBytes: 1e9 })).rejects.toThrow(
      /variant b: version v9 of ab is incomplete: manifest\.json, tensors\.bin, items\.json missing; nothing was written/,
    );
    await expect(writeSplit(bucket, 'ab', [{ name: 'a', version: versions[0], weight: 50 }, { name: 'b', version: versions[1], weight: 40 }], { budgetBytes: 1e9 })).rejects.toThrow(
      /weights sum to 90; they must sum to 100 \(percent\): nothing was written/,
    );
    expect(await worker.bucket.get('ab/SPLIT').then((o) => o!.text())).toBe(before);
  });
});

describe('a split that does not fit in the isolate', () => {
  let worker: StartedWorker;
  afterAll(async () => {
    await worker?.dispose();
  });

  it('is refused by the Worker: everyone gets CURRENT without a variant, and /healthz says why', async () => {
    const models = swapPair({ items: 30, users: 4, dim: 4 });
    const one = await loadHandmade(models[0]);
    const bytes = one.residentBytes + one.engineBytes;
    one.dispose();
    // Room for one version and a half.
    worker = await startWorker({ bindings: { MODEL_MEMORY_BUDGET_MB: String((bytes * 1.5) / (1024 * 1024)) } });
    const dirs = await Promise.all(models.map((m) => writeHandmadeArtifact(m)));
    const bucket = bucketOverR2(worker.bucket);
    await publishArtifact(bucket, dirs[1], 'big', 'v2');
    await publishArtifact(bucket, dirs[0], 'big', 'v1');
    // Written around the CLI (which would refuse it), as a hand edit of the bucket would.
    await worker.bucket.put('big/SPLIT', JSON.stringify({ variants: [{ name: 'a', version: 'v1', weight: 50 }, { name: 'b', version: 'v2', weight: 50 }], salt: 's', updatedAt: '' }));
    const answer = (await (await worker.fetch('/v1/models/big/items/i3/similar?variant=b')).json()) as Answer;
    expect(answer.version).toBe('v1');
    expect(answer).not.toHaveProperty('variant');
    const h = (await (await worker.fetch('/healthz')).json()) as { refusedSplits?: { model: string; message: string }[]; modelMemory: { residentBytes: number } };
    expect(h.refusedSplits).toEqual([{ model: 'big', message: expect.stringMatching(/^the split of "big" needs version v2 .* more than this isolate's model memory budget/), at: expect.any(String) }]);
    expect(h.modelMemory.residentBytes).toBe(bytes);
  });
});

describe('a split of q8 versions on the int8 engine', () => {
  it("a variant's query that needs tfjs (from-examples) starts it and is answered by that variant's version", async () => {
    const models = swapPair({ items: 30, users: 40, dim: 4 }).map((m) => ({ ...m, quantization: 'q8' as const }));
    const [worker, ...dirs] = await Promise.all([startWorker(), ...models.map((m) => writeHandmadeArtifact(m))]);
    try {
      const bucket = bucketOverR2(worker.bucket);
      const v1 = (await publishArtifact(bucket, dirs[0], 'q', 'v1')).version;
      const v2 = (await publishArtifact(bucket, dirs[1], 'q', 'v2')).version;
      await bucket.put('q/CURRENT', v1);
      await writeSplit(bucket, 'q', [{ name: 'a', version: v1, weight: 50 }, { name: 'b', version: v2, weight: 50 }], { budgetBytes: 40 * 1024 * 1024, salt: 't' });
      const backend = async () => ((await (await worker.fetch('/healthz')).json()) as { backend: string | null }).backend;
      expect((await worker.fetch('/v1/models/q/items/i3/similar?k=3&variant=b')).status).toBe(200);
      expect(await backend()).toBeNull();
      const res = await worker.fetch('/v1/models/q/recommendations/from-examples?variant=b', { method: 'POST', body: JSON.stringify({ liked: ['i3'], k: 3 }) });
      const body = (await res.json()) as { variant?: string; version: string; best: unknown[] };
      expect([res.status, body.variant, body.version, body.best.length]).toEqual([200, 'b', v2, 3]);
      expect(await backend()).toBe('wasm');
    } finally {
      await worker.dispose();
    }
  });
});

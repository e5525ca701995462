import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { capMetadata, partNames, VECTORIZE_LIMITS } from '../../training/export/vectorize-ndjson.js';
import { REPO_ROOT } from '../helpers/worker.js';

const TSX = path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs');
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/import/${name}`, import.meta.url));
const run = (script: string, args: string[]) =>
  promisify(execFile)(process.execPath, [TSX, `training/cli/${script}.ts`, ...args], { cwd: REPO_ROOT }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
const roots: string[] = [];
afterAll(() => Promise.all(roots.map((d) => rm(d, { recursive: true, force: true }))));
const tmp = async () => {
  const d = await mkdtemp(path.join(tmpdir(), 'edgerec-import-cli-'));
  roots.push(d);
  return d;
};

describe('npm run import / export from the command line', () => {
  it('imports the Spark fixture with titles and ratings, evaluates it, and exports it for Vectorize', async () => {
    const dir = await tmp();
    await writeFile(path.join(dir, 'titles.csv'), 'item,tag\n10,Drama\n20,Comedy\n30,Drama\n');
    await writeFile(path.join(dir, 'ratings.csv'), 'rating,user,item\n' + ['7,10', '7,20', '8,30', '8,40', '9,50', '9,10', '7,30', '8,50'].map((p, k) => `${1 + (k % 5)},${p}`).join('\n') + '\n');
    const out = path.join(dir, 'art');
    const r = await run('import', ['--from', 'spark-als', fixture('spark-als'), '--items', path.join(dir, 'titles.csv'), '--ratings', path.join(dir, 'ratings.csv'), '--out', out, '--json']);
    expect(r.stderr).toContain('--items: titles and tags for 3 of 5 items (2 keep their id as title)');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect([report.kind, report.format, report.counts, report.split]).toEqual(['bpr', 'spark-als', { users: 3, items: 5, dim: 4 }, 'ranking-75-25']);
    expect(Object.keys(report.evaluation.baselines)).toEqual(['most_popular']);
    const file = path.join(dir, 'v.ndjson');
    const e = await run('export', [out, '--to', 'vectorize-ndjson', '--out', file, '--index', 'als-recs']);
    expect(e.code).toBe(0);
    expect(e.stdout).toContain('npx wrangler vectorize create als-recs --dimensions=4 --metric=cosine');
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ id: '30', values: [0.5, 0.5, -0.5, 0], metadata: { title: '30', tags: ['Drama'] } });
  });

  it('a bad input exits 1 with one line naming the file and the row; a usage error exits 2', async () => {
    const bad = await run('import', ['--from', 'npy', fixture('items-nan.npy'), '--ids', fixture('item-ids.npy'), '--out', path.join(await tmp(), 'a')]);
    expect([bad.code, bad.stderr]).toEqual([1, 'error: items-nan.npy: item row 3 (id "d") has NaN at column 2 (every value must be a finite number: a diverged or corrupt export)\n']);
    const usage = await run('import', ['--from', 'parquet', fixture('items.npy'), '--out', 'x']);
    expect([usage.code, usage.stderr]).toEqual([2, 'error: --from must be one of spark-als, npz, npy, safetensors, ndjson, got "parquet"\n']);
    const wrongOption = await run('import', ['--from', 'spark-als', fixture('spark-als'), '--tensor', 'w', '--out', 'x']);
    expect(wrongOption.stderr).toBe('error: --tensor does not apply to --from spark-als (it takes no reader options)\n');
  });
});

describe("Vectorize's caps", () => {
  it('metadata over 10 KiB drops tags from the end, then cuts the title on a code point', () => {
    const tags = Array.from({ length: 2000 }, (_, k) => `tag-${k}`);
    const m = capMetadata('Title', tags);
    expect(m.capped).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(m.metadata))).toBeLessThanOrEqual(VECTORIZE_LIMITS.metadataBytes);
    expect(m.metadata.tags).toEqual(tags.slice(0, m.metadata.tags!.length));
    expect(Buffer.byteLength(JSON.stringify({ ...m.metadata, tags: tags.slice(0, m.metadata.tags!.length + 1) }))).toBeGreaterThan(VECTORIZE_LIMITS.metadataBytes);
    const long = capMetadata('é'.repeat(20_000), ['x']);
    expect(long.metadata).toEqual({ title: 'é'.repeat(long.metadata.title.length) });
    expect(Buffer.byteLength(JSON.stringify(long.metadata))).toBe(10_240 - ((10_240 - 12) % 2));
    expect(capMetadata('Small', ['a', 'b'])).toEqual({ metadata: { title: 'Small', tags: ['a', 'b'] }, capped: false });
  });

  it('more vectors than one wrangler insert takes are split into numbered files', () => {
    expect(partNames('out/v.ndjson', 100_000)).toEqual(['out/v.ndjson']);
    expect(partNames('out/v.ndjson', 100_001)).toEqual(['out/v-0001.ndjson', 'out/v-0002.ndjson']);
  });
});

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ML100K } from '../helpers/datasets.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');

async function train(args: string[]) {
  try {
    const r = await promisify(execFile)(process.execPath, [TSX, 'training/cli/train.ts', ...args], { cwd: ROOT, maxBuffer: 32 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('npm run train (the CLI contract)', () => {
  it('--json: the last stdout line is one JSON object with the contract keys', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'edgerec-cli-'));
    const r = await train(['--data', 'test/fixtures/ml-100k-mini', '--model', 'mf', '--out', out, '--epochs', '3', '--dim', '4', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(last.model).toBe('mf');
    expect(last.split).toBe('random-80-20');
    for (const k of ['rmse', 'mae']) {
      expect(Number.isFinite(last.metrics[k])).toBe(true);
      expect(Number.isFinite(last.quantized[k])).toBe(true);
    }
    expect(Number.isFinite(last.baselines.global_mean.rmse)).toBe(true);
    expect(Number.isFinite(last.baselines.bias.rmse)).toBe(true);
    expect(last.bytes.artifact).toBeGreaterThan(0);
    expect(last.bytes.float32).toBeGreaterThan(0);
    // Training is part of the whole command: a report that times it outside is wrong.
    expect(last.seconds.train).toBeLessThanOrEqual(last.seconds.total);
    expect(last.hyper).toMatchObject({ epochs: 3, dim: 4, seed: 42 });
    const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8'));
    // tensors.bin holds the weights and, since format 2, the catalogue blocks.
    expect(manifest.tensorsBytes).toBe(last.bytes.artifact + last.bytes.catalog);
    expect(last.bytes.catalog).toBeGreaterThan(0);
  });

  it.each([
    [['--model', 'mf', '--out', '/tmp/x'], /--data is required/],
    [['--data', 'test/fixtures/ml-100k-mini', '--out', '/tmp/x', '--model', 'nope'], /--model "nope" is not a model kind/],
    [['--data', 'test/fixtures/ml-100k-mini', '--out', '/tmp/x', '--epochs', 'many'], /--epochs must be an integer from 1 to 10000, got "many"/],
    [['--data', 'test/fixtures/ml-100k-mini', '--out', '/tmp/x', '--bogus'], /Unknown option '--bogus'.*see --help/],
    [['--data', '/nonexistent/data', '--out', '/tmp/x'], /\/nonexistent\/data does not exist/],
    [['--data', 'test/fixtures/ml-100k-mini', '--out', '/tmp/x', '--index', 'nope'], /--index must be one of auto, ivf, none, got "nope"/],
  ])('a bad command line %j is one clear error line and a non-zero exit', async (args, message) => {
    const r = await train(args);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});

describe.skipIf(!existsSync(ML100K))('mf on MovieLens 100K (real data, skipped when absent)', () => {
  it('meets the foundation targets with the default settings: RMSE <= 0.93, int8 within 0.003, <= 30% of f32', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'edgerec-ml-'));
    // --refit none: the reported metrics are the split model's either way (ranker-pipeline.test.ts checks they are
    // identical); skipping the refit halves this test's training.
    const r = await train(['--data', ML100K, '--model', 'mf', '--out', out, '--json', '--refit', 'none']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(j.dataset).toMatchObject({ users: 943, items: 1682, ratings: 100000, train: 80000, test: 20000 });
    expect(j.metrics.rmse).toBeLessThanOrEqual(0.93);
    expect(j.metrics.rmse).toBeLessThan(j.baselines.bias.rmse);
    expect(Math.abs(j.quantized.rmse - j.metrics.rmse)).toBeLessThanOrEqual(0.003);
    expect(j.bytes.artifact / j.bytes.float32).toBeLessThanOrEqual(0.3);
  });
});

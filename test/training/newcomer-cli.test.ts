// What a new user trips over first: commands that fail must say why and exit non-zero, before doing any work.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BPR_DEFAULTS } from '../../training/models/bpr.js';
import { MF_DEFAULTS } from '../../training/models/mf.js';
import { PIPELINES } from '../../training/pipeline/registry.js';
import { REPO_ROOT } from '../helpers/worker.js';

const TSX = path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs');
const run = (args: string[]) =>
  promisify(execFile)(process.execPath, [TSX, ...args], { cwd: REPO_ROOT }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe('CLI failures a newcomer meets', () => {
  let persistDir: string;
  let busy: Server;
  let port: number;
  beforeAll(async () => {
    persistDir = await mkdtemp(path.join(tmpdir(), 'edgerec-newcomer-'));
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen({ port: 0, host: 'localhost' }, resolve));
    port = (busy.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => busy?.close(resolve));
    await rm(persistDir, { recursive: true, force: true });
  });

  it('bash scripts/run.sh train -- --help prints the help (the script adds npm\'s -- itself)', async () => {
    const r = await promisify(execFile)('bash', ['scripts/run.sh', 'train', '--', '--help'], { cwd: REPO_ROOT }).then(
      (x) => ({ code: 0, ...x }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Usage: npm run train');
  });

  it('npm run models -- --model nosuch exits 1 and says the model is not there', async () => {
    const r = await run(['training/cli/models.ts', '--model', 'nosuch', '--persist', persistDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('model nosuch is not in the local bucket (it is empty): publish it with npm run publish');
  });

  it('npm start with its port taken exits 2 before training or publishing anything', async () => {
    const r = await run(['training/cli/demo.ts', '--port', String(port)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`port ${port} is already in use`);
    expect(r.stderr).toContain('nothing was trained or published');
    expect(r.stdout).not.toContain('trained mf');
  });
});

describe('progress on a terminal', () => {
  it('every training kind knows its default epochs, so the bar has a total and an ETA without --epochs', () => {
    expect(PIPELINES.bpr.defaultEpochs).toBe(BPR_DEFAULTS.epochs);
    expect(PIPELINES.mf.defaultEpochs).toBe(MF_DEFAULTS.epochs);
    for (const kind of ['mf', 'svdpp', 'deep', 'hybrid', 'classify', 'bpr', 'itemtag']) {
      expect(Number.isInteger(PIPELINES[kind].defaultEpochs) && PIPELINES[kind].defaultEpochs! > 0, kind).toBe(true);
    }
  });
});

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { prepareDemo } from '../pipeline/demo.js';
import { runEventsLoop } from '../pipeline/events-loop.js';
import { openLocalBucket } from '../publish/local-bucket.js';
import { parse, runCli, UsageError } from './args.js';

const USAGE = `Usage: npm start [-- --data <dir-or-file>] [--model <name>] [--port <n>] [--no-serve] [--no-loop]

The whole path on one machine: trains an mf model (on generated MovieLens-style data unless --data names a
MovieLens 100K folder or a ratings CSV), publishes it to the local R2 bucket and serves it with wrangler dev.
Then it shows the feedback loop once: simulated visitors send impressions, clicks and views to POST /v1/events,
the Worker's queue consumer stores them, they are pulled into train's CSV (as npm run events does), and a model
trained on them is published as <model>-events.

  --data <path>   a dataset instead of the generated one
  --model <name>  model name in URLs (default demo)
  --port <n>      wrangler dev port (default 8787)
  --no-serve      stop after publishing
  --no-loop       serve without the events loop
`;

runCli(async () => {
  const { values } = parse(
    process.argv.slice(2),
    { data: { type: 'string' }, model: { type: 'string', default: 'demo' }, port: { type: 'string', default: '8787' }, 'no-serve': { type: 'boolean', default: false }, 'no-loop': { type: 'boolean', default: false } },
    USAGE,
  );
  const root = process.cwd();
  // Before training and publishing: a busy port would otherwise move CURRENT and then fail to serve.
  if (!values['no-serve']) await ensurePortFree(values.port!);
  const demo = await prepareDemo({ data: values.data, workDir: path.join(root, '.wrangler/demo'), model: values.model!, log: (s) => console.log(s) });
  if (values['no-serve']) return;

  const base = `http://localhost:${values.port}`;
  const m = values.model!;
  const wrangler = path.join(path.dirname(createRequire(import.meta.url).resolve('wrangler/package.json')), 'bin/wrangler.js');
  const child = spawn(process.execPath, [wrangler, 'dev', '--port', values.port!], {
    stdio: ['inherit', 'inherit', 'inherit'],
    // request.cf is unused here; without this wrangler tries to fetch it from Cloudflare and logs errors offline.
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  });
  const stop = () => {
    stopping = true;
    child.kill('SIGINT');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  for (let i = 0; i < 120; i++) {
    await new Promise((r) => setTimeout(r, 500));
    if (child.exitCode !== null) process.exit(child.exitCode);
    const ok = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
  }
  console.log(
    [
      '',
      `edgerec is serving model "${m}" (version ${demo.published.version}) at ${base}. Try:`,
      `  curl ${base}/healthz`,
      `  curl ${base}/v1/models`,
      `  curl '${base}/v1/models/${m}/items/${demo.exampleItem}/similar?k=10'`,
      `  curl '${base}/v1/models/${m}/users/${demo.exampleUser}/recommendations?k=10'`,
      `  curl ${base}/v1/models/${m}/users/${demo.exampleUser}/items/${demo.exampleItem}/rating`,
      `  curl '${base}/v1/models/${m}/recommendations?items=${demo.exampleItem}&k=10&explain=true'   # a visitor, folded in`,
      `  curl '${base}/v1/models/${m}/popular?k=10'`,
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  if (!values['no-loop']) await showLoop(base, m, path.join(root, '.wrangler/demo'));
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  // Ctrl-C ends wrangler with a signal (exit code null): that is a normal stop. Anything else is wrangler's failure.
  if (code !== 0 && !stopping) process.exit(code);
});

let stopping = false;

/** The events loop once against the served Worker; a failure is reported and the demo keeps serving. */
async function showLoop(base: string, model: string, workDir: string): Promise<void> {
  const [eventsBucket, modelsBucket] = await Promise.all([openLocalBucket({ bucketName: 'edgerec-events' }), openLocalBucket()]);
  try {
    console.log('The feedback loop, once:');
    const loop = await runEventsLoop({ base, model, eventsBucket, modelsBucket, workDir, log: (s) => console.log(`  ${s}`) });
    console.log(
      [
        `  Try (within CURRENT_TTL_SECONDS): curl '${base}/v1/models/${model}-events/users/${encodeURIComponent(`visitor:${loop.exampleVisitor}`)}/recommendations?k=5'`,
        `  npm run events -- --model ${model} --report   # impressions, clicks and CTR`,
        '',
      ].join('\n'),
    );
  } catch (e) {
    console.error(`edgerec: the events loop did not complete (${(e as Error).message}); the demo keeps serving ${model}`);
  } finally {
    await Promise.all([eventsBucket.close(), modelsBucket.close()]);
  }
}

/** Fails with what to do when something already listens on the port (wrangler would fail after the publish). */
async function ensurePortFree(port: string): Promise<void> {
  const n = Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--port must be an integer from 1 to 65535, got ${JSON.stringify(port)}`);
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port: n, host: 'localhost' }, () => server.close(() => resolve(true)));
  });
  if (!free) {
    throw new UsageError(
      `port ${n} is already in use (another npm start or wrangler dev?): stop it, or pass --port <n> (npm start -- --port 8788); nothing was trained or published`,
    );
  }
}

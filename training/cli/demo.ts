import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { prepareDemo } from '../pipeline/demo.js';
import { parse, runCli } from './args.js';

const USAGE = `Usage: npm start [-- --data <dir-or-file>] [--model <name>] [--port <n>] [--no-serve]

The whole path on one machine: trains an mf model (on generated MovieLens-style data unless --data names a
MovieLens 100K folder or a ratings CSV), publishes it to the local R2 bucket and serves it with wrangler dev.

  --data <path>   a dataset instead of the generated one
  --model <name>  model name in URLs (default demo)
  --port <n>      wrangler dev port (default 8787)
  --no-serve      stop after publishing
`;

runCli(async () => {
  const { values } = parse(
    process.argv.slice(2),
    { data: { type: 'string' }, model: { type: 'string', default: 'demo' }, port: { type: 'string', default: '8787' }, 'no-serve': { type: 'boolean', default: false } },
    USAGE,
  );
  const root = process.cwd();
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
  const stop = () => child.kill('SIGINT');
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
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => child.on('exit', () => resolve()));
});

// Swap under load, the longer run (the driver, runSwapUnderLoad, is test/helpers/swap-under-load.ts):
//
//   npx tsx bench/swap-under-load.ts [--seconds 20] [--connections 16] [--items 20000] [--json]
//
// A steady phase of the same length at the same load runs first, CURRENT left alone, so p99 during swaps can be read
// against steady p99 from the same run.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runSwapUnderLoad } from '../test/helpers/swap-under-load.js';

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '20' },
      connections: { type: 'string', default: '16' },
      items: { type: 'string', default: '20000' },
      json: { type: 'boolean', default: false },
    },
  });
  const result = await runSwapUnderLoad({
    durationMs: Number(values.seconds) * 1000,
    steadyMs: Number(values.seconds) * 1000,
    rounds: 2,
    moves: 'pointer',
    connections: Number(values.connections),
    items: Number(values.items),
    users: 2000,
    dim: 64,
    swapEveryMs: 1000,
    burst: 256,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
  process.exitCode = result.failed || result.wrong ? 1 : 0;
}

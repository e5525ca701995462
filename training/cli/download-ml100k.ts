import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadMovieLens100K, ML100K_URL } from '../data/download.js';
import { parse, runCli } from './args.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
// Outside the repo because the licence forbids redistribution; the tests look here too.
// Inside the repo but ignored by git: the licence forbids redistributing the data.
const DEFAULT_OUT = resolve(REPO_ROOT, 'data');
/** Published figures of ml-100k; anything else means a different or damaged archive. */
const EXPECTED = { ratings: 100_000, users: 943, items: 1_682 };

const USAGE = `Usage: npm run download-ml100k -- [--out <dir>] [--force] [--url <url>]

Downloads MovieLens 100K from GroupLens, unpacks it to <dir>/ml-100k, and checks it loads.

  --out <dir>   folder to unpack into (default ${DEFAULT_OUT})
  --force       download again even if <dir>/ml-100k/u.data exists
  --url <url>   default ${ML100K_URL}

Licence: research use only, no redistribution, cite Harper & Konstan (2015). Keep it out of commits and artifacts.
`;

runCli(async () => {
  const { values } = parse(
    process.argv.slice(2),
    {
      out: { type: 'string', default: DEFAULT_OUT },
      force: { type: 'boolean', default: false },
      url: { type: 'string', default: ML100K_URL },
    },
    USAGE,
  );
  const out = values.out ?? DEFAULT_OUT;
  let result: Awaited<ReturnType<typeof downloadMovieLens100K>>;
  try {
    result = await downloadMovieLens100K(out, { url: values.url, force: values.force, log: (line) => console.log(line) });
  } catch (e) {
    const err = e as Error;
    if (err.name === 'DataError') throw err;
    throw new Error(`${err.message}. Without internet access, fetch ${ML100K_URL} elsewhere and unzip it into ${out}`, { cause: e });
  }
  const { dir, dataset, downloaded } = result;
  const got = { ratings: dataset.ratings.rating.length, users: dataset.userIds.length, items: dataset.itemIds.length };
  console.log(
    `${downloaded ? 'installed' : 'found'} ${dir}: ${got.ratings.toLocaleString('en')} ratings, ${got.users} users, ${got.items} items; ` +
      `official splits: ${Object.keys(dataset.officialSplits ?? {}).join(' ') || 'none'}; fingerprint ${dataset.fingerprint}`,
  );
  console.log('Licence: research use only, no redistribution, cite Harper & Konstan (2015), ACM TiiS 5(4):19.');
  if (got.ratings !== EXPECTED.ratings || got.users !== EXPECTED.users || got.items !== EXPECTED.items) {
    throw new Error(`expected ${EXPECTED.ratings} ratings, ${EXPECTED.users} users and ${EXPECTED.items} items: this is not the published ml-100k`);
  }
});

import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { loadMovieLens100K } from './movielens100k.js';
import type { RatingsDataset } from './types.js';
import { extractZip } from './zip.js';

export const ML100K_URL = 'https://files.grouplens.org/datasets/movielens/ml-100k.zip';
/** The folder the archive unpacks to. */
export const ML100K_DIR = 'ml-100k';

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export async function downloadBytes(url: string, timeoutMs = 120_000): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    // fetch's own message is just "fetch failed"; the reason (DNS, refused, timeout) is in its cause.
    const cause = (err as Error & { cause?: Error }).cause;
    throw new Error(`could not download ${url}: ${(err as Error).message}${cause?.message ? ` (${cause.message})` : ''}`, { cause: err });
  }
  if (!res.ok) throw new Error(`could not download ${url}: HTTP ${res.status} ${res.statusText}`);
  return Buffer.from(await res.arrayBuffer());
}

/**
 * Unpacks an ml-100k.zip into `destDir`/ml-100k and returns that folder with the loaded dataset. The archive is
 * extracted into a temporary sibling and checked by loading it before it replaces anything, so a bad or truncated
 * archive never leaves a half-written dataset behind.
 */
export async function installMovieLens100KZip(zip: Uint8Array, destDir: string): Promise<{ dir: string; dataset: RatingsDataset }> {
  await mkdir(destDir, { recursive: true });
  const target = join(destDir, ML100K_DIR);
  const tmp = await mkdtemp(join(destDir, `.${ML100K_DIR}-`));
  try {
    const files = await extractZip(zip, tmp);
    // The GroupLens archive has ml-100k/u.data; the shallowest u.data wins if an archive has several.
    const dataFile = files.filter((f) => basename(f) === 'u.data').sort((a, b) => a.length - b.length)[0];
    if (!dataFile) throw new Error(`the archive has no u.data (it holds ${files.map((f) => relative(tmp, f)).join(', ') || 'no files'})`);
    const extracted = dirname(dataFile);
    const dataset = await loadMovieLens100K(extracted);
    await rm(target, { recursive: true, force: true });
    await rename(extracted, target);
    return { dir: target, dataset };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export interface DownloadOptions {
  url?: string;
  /** Replace an existing copy. */
  force?: boolean;
  log?: (line: string) => void;
}

/** Downloads and installs ml-100k under `destDir` unless `destDir`/ml-100k/u.data already exists. */
export async function downloadMovieLens100K(destDir: string, opts: DownloadOptions = {}): Promise<{ dir: string; dataset: RatingsDataset; downloaded: boolean }> {
  const log = opts.log ?? (() => {});
  const target = join(destDir, ML100K_DIR);
  if (!opts.force && (await exists(join(target, 'u.data')))) {
    log(`${target} already has u.data; loading it (use --force to download again)`);
    return { dir: target, dataset: await loadMovieLens100K(target), downloaded: false };
  }
  const url = opts.url ?? ML100K_URL;
  log(`downloading ${url}`);
  const zip = await downloadBytes(url);
  log(`downloaded ${(zip.length / 1e6).toFixed(1)} MB; extracting into ${target}`);
  return { ...(await installMovieLens100KZip(zip, destDir)), downloaded: true };
}

// An events folder: the event objects as files under their bucket keys (<dir>/events/<model>/<date>/<digest>.ndjson),
// written by `npm run events -- --save <dir>` and read back by `npm run report -- --events <dir>`.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Bucket } from '../publish/publish.js';
import { UsageError } from '../options.js';
import { eventKeys } from '../../shared/events.js';
import { eventObjectKeys } from './read.js';

/** A read-only Bucket over an events folder. */
export function folderBucket(dir: string): Bucket {
  const file = (key: string) => path.join(dir, ...key.split('/'));
  return {
    async get(key) {
      try {
        return new Uint8Array(await readFile(file(key)));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    async list(prefix) {
      const out: string[] = [];
      const walk = async (rel: string) => {
        let entries;
        try {
          entries = await readdir(path.join(dir, rel), { withFileTypes: true });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw e;
        }
        for (const d of entries) {
          const key = rel ? `${rel}/${d.name}` : d.name;
          if (d.isDirectory()) await walk(key);
          else if (key.startsWith(prefix)) out.push(key);
        }
      };
      await walk('');
      return out.sort();
    },
    async put() {
      throw new Error(`an events folder (${dir}) is read-only here`);
    },
  };
}

/** The models an events folder holds events for (its events/<model>/ folders). */
export async function folderModels(dir: string): Promise<string[]> {
  const root = path.join(dir, eventKeys.prefix('x').split('/')[0]);
  try {
    return (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`${dir} is not an events folder: it has no ${path.basename(root)}/ folder (write one with npm run events -- --model <name> --save ${dir})`);
    throw e;
  }
}

/** Copies `model`'s event objects (since a date) from a bucket into `dir`, under their keys; returns how many. */
export async function saveEvents(bucket: Bucket, model: string, dir: string, opts: { since?: string; keys?: string[] } = {}): Promise<number> {
  const keys = await eventObjectKeys(bucket, model, opts);
  for (const key of keys) {
    const data = await bucket.get(key);
    if (!data) throw new Error(`${key} is listed but could not be read`);
    const to = path.join(dir, ...key.split('/'));
    await mkdir(path.dirname(to), { recursive: true });
    await writeFile(to, data);
  }
  return keys.length;
}

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprintParts } from './common.js';
import type { RatingsDataset } from './types.js';

export interface MovieLensFile {
  name: 'u.data' | 'u.item' | 'u.genre';
  bytes: Buffer;
}

/** Characters that survive a latin-1 write and a TextDecoder('latin1') read (which is windows-1252: C1 differs). */
function isLatin1Safe(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || (c >= 0x80 && c < 0xa0)) return false;
  }
  return true;
}

/**
 * Serialises a dataset in MovieLens 100K layout (u.data, u.item in latin-1, u.genre), byte for byte what
 * loadMovieLens100K reads back into an equal dataset. `genres` fixes the u.genre order; tags not in it are
 * appended in first-seen order. Requires integer ids, and titles without "|" or line breaks that latin-1 can hold.
 */
export function toMovieLensFiles(ds: RatingsDataset, genres: readonly string[] = []): MovieLensFile[] {
  for (const [kind, ids] of [['user', ds.userIds], ['item', ds.itemIds]] as const) {
    const bad = ids.find((id) => !/^\d+$/.test(id));
    if (bad !== undefined) throw new Error(`MovieLens format needs integer ${kind} ids, got ${JSON.stringify(bad)}`);
  }
  const names = [...genres];
  const genreIndex = new Map(names.map((g, i) => [g, i]));
  for (const { tags } of ds.itemMeta) {
    for (const t of tags) if (!genreIndex.has(t)) genreIndex.set(t, names.push(t) - 1);
  }
  const badGenre = names.find((g) => /[|\r\n]/.test(g) || !isLatin1Safe(g));
  if (badGenre !== undefined) throw new Error(`tag ${JSON.stringify(badGenre)} cannot be written to u.genre (no "|", line breaks or non-latin-1 characters)`);

  const { user, item, rating, timestamp } = ds.ratings;
  const dataLines: string[] = new Array(rating.length);
  for (let r = 0; r < rating.length; r++) {
    dataLines[r] = `${ds.userIds[user[r]]}\t${ds.itemIds[item[r]]}\t${rating[r]}\t${timestamp ? timestamp[r] : 0}\n`;
  }

  const itemLines = ds.itemMeta.map(({ title, tags }, i) => {
    if (/[|\r\n]/.test(title) || !isLatin1Safe(title)) {
      throw new Error(`item ${ds.itemIds[i]} title ${JSON.stringify(title)} cannot be written to u.item (no "|", line breaks or non-latin-1 characters)`);
    }
    const flags = new Array<number>(names.length).fill(0);
    for (const t of tags) flags[genreIndex.get(t)!] = 1;
    const year = /\((\d{4})\)$/.exec(title)?.[1];
    return `${ds.itemIds[i]}|${title}|${year ? `01-Jan-${year}` : ''}|||${flags.join('|')}\n`;
  });

  // The original u.genre ends with a blank line; kept so the files look like the real thing.
  const genreText = names.map((g, i) => `${g}|${i}\n`).join('') + '\n';
  return [
    { name: 'u.data', bytes: Buffer.from(dataLines.join(''), 'latin1') },
    { name: 'u.item', bytes: Buffer.from(itemLines.join(''), 'latin1') },
    { name: 'u.genre', bytes: Buffer.from(genreText, 'latin1') },
  ];
}

/** The fingerprint loadMovieLens100K computes for these files. */
export function movieLensFingerprint(files: MovieLensFile[]): string {
  return fingerprintParts(files);
}

export async function writeMovieLensFiles(dir: string, files: MovieLensFile[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all(files.map((f) => writeFile(join(dir, f.name), f.bytes)));
}

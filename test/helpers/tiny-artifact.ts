// Handmade artifacts with known answers: a few items on a circle, so cosine neighbours are obvious, and titles of
// our choosing (hostile ones for escaping tests). Built with the real encoder; read back by the real decoder.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeTensors } from '../../shared/artifact/encode.js';
import { FORMAT_NAME, FORMAT_VERSION, type Manifest } from '../../shared/artifact/schema.js';
import { TENSOR_NAMES } from '../../shared/model/loaded.js';
import { writeArtifact } from '../../training/export/artifact-files.js';

export interface TinyArtifactOptions {
  titles: string[];
  /** Items' original ids (default '1', '2', ...). */
  ids?: string[];
  /** Users' original ids; user u points at item u. Default: ['u0', 'u1']. */
  users?: string[];
  /** Items each user rated in training (excluded from their recommendations). Default: none. */
  seen?: number[][];
  createdAt?: string;
  /** Headline metric written into the manifest. */
  rmse?: number;
  /** manifest.foldin.implicit: lets the artifact fold visitors in (absent: it cannot, as artifacts before it). */
  foldin?: { alpha: number; lambda: number };
}

/**
 * Item i sits at angle step * i^1.1 radians in the first two of 4 dimensions, on an arc shorter than a half turn,
 * with gaps that grow along it: item 0's neighbours are 1, 2, 3, ... in that order, and user u (pointing at item u)
 * gets u, u-1, u+1, ... with no ties. The version name (time + checksum) changes with createdAt.
 */
export async function writeTinyArtifact(o: TinyArtifactOptions): Promise<string> {
  const n = o.titles.length;
  const users = o.users ?? ['u0', 'u1'];
  const dim = 4;
  const step = Math.min(0.35, 3 / n ** 1.1);
  const angle = (i: number) => step * i ** 1.1;
  const items = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    items[i * dim] = Math.cos(angle(i));
    items[i * dim + 1] = Math.sin(angle(i));
    items[i * dim + 2] = 0.05;
  }
  const userF = new Float32Array(users.length * dim);
  for (let u = 0; u < users.length; u++) {
    userF[u * dim] = 2 * Math.cos(angle(u));
    userF[u * dim + 1] = 2 * Math.sin(angle(u));
  }
  const enc = await encodeTensors([
    { name: TENSOR_NAMES.itemFactors, data: items, shape: [n, dim], dtype: 'f32' },
    { name: TENSOR_NAMES.userFactors, data: userF, shape: [users.length, dim], dtype: 'f32' },
    { name: TENSOR_NAMES.globalBias, data: Float32Array.of(3), shape: [1], dtype: 'f32' },
  ]);
  const seen = o.seen ?? users.map(() => []);
  const indptr = [0];
  for (const s of seen) indptr.push(indptr[indptr.length - 1] + s.length);
  const manifest: Manifest = {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    model: { kind: 'mf', hyper: { dim } },
    ratingRange: [1, 5],
    counts: { users: users.length, items: n },
    tensors: enc.entries,
    tensorsSha256: enc.sha256,
    tensorsBytes: enc.bytes.byteLength,
    metrics: { float: { rmse: o.rmse ?? 0.9 }, quantized: { rmse: o.rmse ?? 0.9 }, baselines: { global_mean: { rmse: 1.1 } } },
    dataset: { name: 'tiny', fingerprint: 'tiny', ratings: 0, split: 'none' },
    ...(o.foldin ? { foldin: { implicit: o.foldin } } : {}),
    createdAt: o.createdAt ?? '2026-11-01T00:00:00.000Z',
  };
  const dir = await mkdtemp(path.join(tmpdir(), 'edgerec-tiny-'));
  await writeArtifact(dir, {
    manifest,
    tensors: enc.bytes,
    items: { items: o.titles.map((title, i) => ({ id: o.ids?.[i] ?? String(i + 1), title })), users, seen: { indptr, indices: seen.flat() } },
  });
  return dir;
}

/** Titles that break naive HTML templating, plus non-Latin text that must survive byte-exact. */
export const HOSTILE_TITLES = [
  '<script>alert("x")</script>',
  'Tom & Jerry "The Movie"',
  "It's <b>bold</b> & 'quoted'",
  '千と千尋の神隠し',
  'Амели',
  '"><img src=x onerror=alert(1)>',
  'مرحبا بالعالم',
  'Plain Title (1995)',
];

/**
 * A tiny artifact that folds visitors in (manifest.foldin.implicit), with training interactions per item of
 * 0, 2, 0, 0, 3, 0, 2, 1: the popular order is by count, ties by index (VISITOR_POPULAR).
 */
export const VISITOR_ARTIFACT: TinyArtifactOptions = {
  titles: HOSTILE_TITLES,
  users: ['u0', 'u1', 'u2', 'u3'],
  seen: [[1, 4], [4, 6], [1, 4, 6, 7], []],
  foldin: { alpha: 4, lambda: 0.1 },
};
export const VISITOR_POPULAR = ['5', '2', '7', '8', '1', '3', '4', '6'];

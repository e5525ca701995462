import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { DataError } from '../data/errors.js';
import { readZip, ZipError } from '../data/zip.js';
import { npyIds, npyMatrix, npyVector, parseNpy, type NpyArray } from './npy.js';
import { rowIds, type FactorTable, type ImportedFactors } from './tables.js';

/**
 * Array names read from an .npz: implicit's `model.save()` writes user_factors and item_factors (rows are its
 * user and item indices, so ids are "0".."n-1" unless given); the optional ones are what an exporter may add.
 */
export const NPZ_ARRAYS = {
  items: 'item_factors',
  users: 'user_factors',
  itemIds: 'item_ids',
  userIds: 'user_ids',
  itemBias: 'item_bias',
  userBias: 'user_bias',
  globalBias: 'global_bias',
} as const;

/** The arrays of an .npz (a zip of .npy files, stored or deflated: numpy.savez / savez_compressed). */
export function readNpz(bytes: Uint8Array, file: string): Map<string, NpyArray> {
  let entries;
  try {
    entries = readZip(bytes);
  } catch (e) {
    if (e instanceof ZipError) throw new DataError(file, undefined, undefined, `is not a readable .npz: ${e.message}`, 'expected a file written by numpy.savez');
    throw e;
  }
  const out = new Map<string, NpyArray>();
  for (const e of entries) {
    if (e.isDirectory || !e.name.endsWith('.npy')) continue;
    out.set(e.name.slice(0, -4), parseNpy(e.data, `${file}:${e.name}`));
  }
  return out;
}

/**
 * Ids from a file: an .npy of integers or strings, or text with one id per line (trimmed, blank lines skipped).
 * `expected` rows must match the table they name.
 */
export async function readIdFile(file: string, expected: number, what: string): Promise<string[]> {
  const bytes = await readFile(file);
  const ids = extname(file).toLowerCase() === '.npy'
    ? npyIds(parseNpy(bytes, file), file, 'the id array')
    : bytes.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/).map((s) => s.trim()).filter((s) => s !== '');
  if (ids.length !== expected) throw new DataError(file, undefined, undefined, `lists ${ids.length} ${what} ids for ${expected} ${what} vectors`, 'expected one id per row, in row order');
  return ids;
}

/** implicit's npz (or any npz with item_factors, optionally user_factors, ids and biases). */
export async function readNpzFactors(file: string, idFiles: { items?: string; users?: string }): Promise<ImportedFactors> {
  const arrays = readNpz(await readFile(file), file);
  const need = (name: string) => {
    const a = arrays.get(name);
    if (!a) throw new DataError(file, undefined, undefined, `has no array ${name} (it has: ${[...arrays.keys()].join(', ') || 'none'})`, 'implicit\'s model.save() writes user_factors and item_factors');
    return a;
  };
  const table = async (side: 'items' | 'users'): Promise<FactorTable> => {
    const names = side === 'items' ? { f: NPZ_ARRAYS.items, ids: NPZ_ARRAYS.itemIds, b: NPZ_ARRAYS.itemBias } : { f: NPZ_ARRAYS.users, ids: NPZ_ARRAYS.userIds, b: NPZ_ARRAYS.userBias };
    const m = npyMatrix(need(names.f), file, names.f);
    const idFile = idFiles[side];
    const stored = arrays.get(names.ids);
    const ids = idFile ? await readIdFile(idFile, m.rows, side.slice(0, -1)) : stored ? npyIds(stored, file, names.ids) : rowIds(m.rows);
    if (ids.length !== m.rows) throw new DataError(file, undefined, undefined, `${names.ids} lists ${ids.length} ids for ${m.rows} rows of ${names.f}`, 'expected one id per row');
    const b = arrays.get(names.b);
    return { ids, dim: m.dim, values: m.values, ...(b ? { bias: npyVector(b, file, names.b) } : {}) };
  };
  const items = await table('items');
  const users = arrays.has(NPZ_ARRAYS.users) ? await table('users') : undefined;
  const g = arrays.get(NPZ_ARRAYS.globalBias);
  return {
    format: 'npz',
    files: [file, ...(idFiles.items ? [idFiles.items] : []), ...(idFiles.users ? [idFiles.users] : [])],
    items,
    ...(users ? { users } : {}),
    ...(g ? { globalBias: (g.data as Float64Array)[0] } : {}),
  };
}

/** One .npy of item vectors with its id list (`--ids`), as PyTorch users write them. */
export async function readNpyFactors(file: string, idFile: string | undefined, userFile?: { file: string; ids?: string }): Promise<ImportedFactors> {
  if (!idFile) throw new DataError(file, undefined, undefined, 'is a bare .npy of vectors: its rows have no ids', 'pass --ids <file> (an .npy of ids or one id per line, in row order)');
  const side = async (f: string, ids: string | undefined, what: string): Promise<FactorTable> => {
    const m = npyMatrix(parseNpy(await readFile(f), f), f, `the ${what} array`);
    return { ids: ids ? await readIdFile(ids, m.rows, what) : rowIds(m.rows), dim: m.dim, values: m.values };
  };
  const items = await side(file, idFile, 'item');
  const users = userFile ? await side(userFile.file, userFile.ids, 'user') : undefined;
  return { format: 'npy', files: [file, idFile, ...(userFile ? [userFile.file, ...(userFile.ids ? [userFile.ids] : [])] : [])], items, ...(users ? { users } : {}) };
}

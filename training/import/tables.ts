import type { ImportFormat } from '../../shared/artifact/schema.js';
import { DataError } from '../data/errors.js';

/** One side of an imported model: row r is the vector of ids[r]. */
export interface FactorTable {
  ids: string[];
  dim: number;
  /** Row-major [ids.length, dim]. */
  values: Float32Array;
  /** One bias per row, when the source has them. */
  bias?: Float32Array;
}

/** What every reader returns: item vectors, and users when the source has them. */
export interface ImportedFactors {
  /** The reader (`--from`). */
  format: ImportFormat;
  /** The files read, for the manifest (paths as given) and the fingerprint. */
  files: string[];
  items: FactorTable;
  users?: FactorTable;
  /** The global mean of a biased rating model. */
  globalBias?: number;
  /** Titles and tags carried by the source itself (NDJSON metadata), by item row. */
  itemMeta?: { title?: string; tags?: string[] }[];
}

/** Ids "0".."n-1": what row positions stand for when a source stores no ids (implicit's npz). */
export function rowIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i));
}

/**
 * Refuses what would be served wrong: no rows, a non-finite value (named by row, column and id), an empty or repeated
 * id (named by both rows), a bias table of the wrong length.
 */
export function checkTable(t: FactorTable, file: string, what: string): void {
  if (t.ids.length === 0) throw new DataError(file, undefined, undefined, `has no ${what} rows`, `expected at least one ${what} vector`);
  if (t.dim < 1) throw new DataError(file, undefined, undefined, `${what} vectors have ${t.dim} dimensions`, 'expected at least 1');
  if (t.values.length !== t.ids.length * t.dim) {
    throw new DataError(file, undefined, undefined, `${what} table holds ${t.values.length} values for ${t.ids.length} ids of ${t.dim} dimensions (${t.ids.length * t.dim} expected)`);
  }
  for (let k = 0; k < t.values.length; k++) {
    if (!Number.isFinite(t.values[k])) {
      const r = Math.floor(k / t.dim);
      throw new DataError(file, undefined, undefined, `${what} row ${r} (id ${JSON.stringify(t.ids[r])}) has ${t.values[k]} at column ${k % t.dim}`, 'every value must be a finite number: a diverged or corrupt export');
    }
  }
  if (t.bias) {
    if (t.bias.length !== t.ids.length) throw new DataError(file, undefined, undefined, `has ${t.bias.length} ${what} biases for ${t.ids.length} ${what} vectors`, 'expected one bias per row');
    const bad = t.bias.findIndex((b) => !Number.isFinite(b));
    if (bad >= 0) throw new DataError(file, undefined, undefined, `${what} bias of row ${bad} (id ${JSON.stringify(t.ids[bad])}) is ${t.bias[bad]}`, 'every bias must be a finite number');
  }
  const firstRow = new Map<string, number>();
  for (const [r, id] of t.ids.entries()) {
    if (id === '') throw new DataError(file, undefined, undefined, `${what} row ${r} has an empty id`, 'every row needs an id');
    const first = firstRow.get(id);
    if (first !== undefined) throw new DataError(file, undefined, undefined, `${what} id ${JSON.stringify(id)} appears twice (rows ${first} and ${r})`, 'expected one vector per id');
    firstRow.set(id, r);
  }
}

// Known vectors of the committed import fixtures (test/fixtures/import, written by numpy and DuckDB with
// scripts/import-fixtures/), and writers of the other formats for the round-trip tests.
import { parquetWriteBuffer } from 'hyparquet-writer';
import { buildZip } from './zip-writer.js';

export const ITEMS = [[1, 0, 0.5, -1], [0, 1, 0.25, 2], [0.5, 0.5, -0.5, 0], [-1, 2, 0, 0.125], [0.75, -0.25, 1, 1]];
export const USERS = [[1, 1, 0, 0], [0, -1, 2, 0.5], [0.25, 0, 0, 1]];
/** The Spark fixture's rows: ids in file order (two item part files), the same vectors. */
export const SPARK_ITEM_IDS = ['30', '10', '50', '20', '40'];
export const SPARK_USER_IDS = ['8', '7', '9'];
const SPARK_ITEM_ROW: Record<string, number> = { '10': 0, '20': 1, '30': 2, '40': 3, '50': 4 };
const SPARK_USER_ROW: Record<string, number> = { '7': 0, '8': 1, '9': 2 };
export const sparkItemVectors = () => SPARK_ITEM_IDS.map((id) => ITEMS[SPARK_ITEM_ROW[id]]);
export const sparkUserVectors = () => SPARK_USER_IDS.map((id) => USERS[SPARK_USER_ROW[id]]);

/** A zip of stored (uncompressed) .npy members, as numpy.savez writes an .npz. */
export function writeNpz(members: Record<string, Uint8Array>): Uint8Array {
  const entries = Object.entries(members).map(([name, data]) => ({ name: `${name}.npy`, data, store: true }));
  return new Uint8Array(buildZip(entries, { utf8Names: false }));
}

/** Spark ALS's factor schema (id INT32, features list<float>), written by hyparquet-writer. */
export function sparkParquet(ids: number[], rows: Float32Array, dim: number): Uint8Array {
  const schema = [
    { name: 'spark_schema', num_children: 2 },
    { name: 'id', type: 'INT32', repetition_type: 'REQUIRED' },
    { name: 'features', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'FLOAT', repetition_type: 'REQUIRED' },
  ] as const;
  const features = ids.map((_, r) => Array.from(rows.subarray(r * dim, (r + 1) * dim)));
  return new Uint8Array(parquetWriteBuffer({ schema: schema as never, columnData: [{ name: 'id', data: ids }, { name: 'features', data: features }] }));
}

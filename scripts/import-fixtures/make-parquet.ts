/**
 * Writes Spark ALSModel.save-shaped Parquet with DuckDB (a real Parquet writer; Spark cannot run here): `id` INTEGER,
 * `features` FLOAT[], snappy, as userFactors/ and itemFactors/ part files beside Spark's metadata JSON.
 *
 *   npm install --no-save @duckdb/node-api@1.5.6-r.1
 *   npx tsx scripts/import-fixtures/make-parquet.ts test/fixtures/import           # the small test fixtures
 *   npx tsx scripts/import-fixtures/make-parquet.ts /tmp/als-1m --items 1000000 --users 100000 --dim 64   # the measurement
 *
 * DuckDB is not a dependency of edgerec (a native binary per platform, for a one-off script).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { items: { type: 'string' }, users: { type: 'string' }, dim: { type: 'string' } } });
const out = positionals[0];
if (!out) throw new Error('usage: make-parquet.ts <out-dir> [--items N --users N --dim D]');
// Not a dependency, so not type-checked against: imported by a name tsc does not resolve.
const DUCKDB = '@duckdb/node-api';
const { DuckDBInstance } = (await import(DUCKDB)) as { DuckDBInstance: { create(path: string): Promise<{ connect(): Promise<{ run(sql: string): Promise<unknown> }> }> } };
const db = await (await DuckDBInstance.create(':memory:')).connect();

/** The vectors test/helpers/import-fixtures.ts lists (the numpy fixtures hold the same). */
const ITEMS: [number, number[]][] = [[30, [0.5, 0.5, -0.5, 0]], [10, [1, 0, 0.5, -1]], [50, [0.75, -0.25, 1, 1]], [20, [0, 1, 0.25, 2]], [40, [-1, 2, 0, 0.125]]];
const USERS: [number, number[]][] = [[8, [0, -1, 2, 0.5]], [7, [1, 1, 0, 0]], [9, [0.25, 0, 0, 1]]];

const list = (v: (number | null)[] | null) => (v === null ? 'NULL' : `[${v.map((x) => (x === null ? 'NULL' : String(x))).join(', ')}]::FLOAT[]`);
async function writeRows(file: string, rows: [number, (number | null)[] | null][], columns = ['id', 'features']): Promise<void> {
  const body = rows.map(([id, f]) => `(${id}::INTEGER, ${list(f)})`).join(', ');
  await db.run(`COPY (SELECT * FROM (VALUES ${body}) t(${columns.join(', ')})) TO '${file}' (FORMAT PARQUET, COMPRESSION SNAPPY)`);
}

async function sparkFolder(dir: string, rank: number): Promise<void> {
  for (const sub of ['metadata', 'userFactors', 'itemFactors']) await mkdir(join(dir, sub), { recursive: true });
  // What ALSModel.save writes as metadata/part-00000 (one JSON line; the values of a small run).
  const meta = { class: 'org.apache.spark.ml.recommendation.ALSModel', timestamp: 1700000000000, sparkVersion: '3.5.1', uid: 'als_0123456789ab',
    paramMap: { rank, userCol: 'user', itemCol: 'item', predictionCol: 'prediction', coldStartStrategy: 'drop', blockSize: 4096 },
    defaultParamMap: { rank: 10, userCol: 'user', itemCol: 'item', predictionCol: 'prediction', coldStartStrategy: 'nan', blockSize: 4096 } };
  await writeFile(join(dir, 'metadata', 'part-00000'), JSON.stringify(meta) + '\n');
  for (const sub of ['metadata', 'userFactors', 'itemFactors']) await writeFile(join(dir, sub, '_SUCCESS'), '');
}

if (values.items) {
  const [nItems, nUsers, dim] = [Number(values.items), Number(values.users ?? values.items), Number(values.dim ?? 64)];
  await sparkFolder(out, dim);
  // Deterministic values in [-1, 1): a hash of (row, column), no randomness to seed.
  const gen = (n: number, file: string) =>
    db.run(`COPY (SELECT i::INTEGER AS id, list_transform(range(${dim}), j -> ((hash(i * ${dim} + j) % 2000)::DOUBLE / 1000.0 - 1)::FLOAT) AS features FROM range(${n}) t(i)) TO '${file}' (FORMAT PARQUET, COMPRESSION SNAPPY)`);
  await gen(nItems, join(out, 'itemFactors', 'part-00000-duckdb.snappy.parquet'));
  await gen(nUsers, join(out, 'userFactors', 'part-00000-duckdb.snappy.parquet'));
} else {
  const spark = join(out, 'spark-als');
  await sparkFolder(spark, 4);
  // Two item part files, as a Spark job with two partitions writes them; rows in no id order.
  await writeRows(join(spark, 'itemFactors', 'part-00000-duckdb.snappy.parquet'), ITEMS.slice(0, 3));
  await writeRows(join(spark, 'itemFactors', 'part-00001-duckdb.snappy.parquet'), ITEMS.slice(3));
  await writeRows(join(spark, 'userFactors', 'part-00000-duckdb.snappy.parquet'), USERS);
  const bad: Record<string, { rows: [number, (number | null)[] | null][]; columns?: string[] }> = {
    ragged: { rows: [[1, [1, 2, 3, 4]], [2, [1, 2, 3]]] },
    'null-features': { rows: [[1, [1, 2, 3, 4]], [2, null]] },
    'null-element': { rows: [[1, [1, 2, 3, 4]], [2, [1, null, 3, 4]]] },
    'duplicate-id': { rows: [[1, [1, 2, 3, 4]], [1, [5, 6, 7, 8]]] },
    'wrong-columns': { rows: [[1, [1, 2, 3, 4]]], columns: ['item', 'vector'] },
  };
  for (const [name, b] of Object.entries(bad)) {
    await mkdir(join(out, 'spark-bad', name), { recursive: true });
    await writeRows(join(out, 'spark-bad', name, 'part-00000.parquet'), b.rows, b.columns);
  }
}
console.log(`wrote ${out}`);

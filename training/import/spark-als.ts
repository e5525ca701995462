import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import { DataError } from '../data/errors.js';
import type { FactorTable, ImportedFactors } from './tables.js';

/**
 * Spark MLlib's ALSModel.save(path): `metadata/` (one JSON line: class, sparkVersion, paramMap with rank, ...) and
 * `userFactors/`, `itemFactors/`, each a folder of Parquet part files with the columns `id` (int) and `features`
 * (array<float>). Parquet is read with hyparquet, one row group at a time straight into one f32 table, so the
 * nested JS arrays of only one row group are alive at once.
 */

function fail(file: string, problem: string, hint?: string): never {
  throw new DataError(file, undefined, undefined, problem, hint);
}

async function partFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    fail(dir, 'is missing', 'ALSModel.save writes userFactors/ and itemFactors/ beside metadata/: pass the folder it was saved to');
  }
  const parts = names.filter((n) => n.endsWith('.parquet') && !n.startsWith('.') && !n.startsWith('_')).sort();
  if (parts.length === 0) fail(dir, `holds no .parquet part files (it has: ${names.slice(0, 8).join(', ') || 'nothing'})`, 'expected part-*.parquet as Spark writes them');
  return parts.map((n) => join(dir, n));
}

/** The rank Spark recorded, when metadata/ is there: a check on the vectors' width. */
async function savedRank(dir: string): Promise<number | undefined> {
  let names: string[];
  try {
    names = (await readdir(join(dir, 'metadata'))).filter((n) => n.startsWith('part-'));
  } catch {
    return undefined;
  }
  if (names.length === 0) return undefined;
  const file = join(dir, 'metadata', names.sort()[0]);
  const line = (await readFile(file, 'utf8')).split('\n')[0];
  try {
    const m = JSON.parse(line) as { paramMap?: { rank?: number }; defaultParamMap?: { rank?: number } };
    return m.paramMap?.rank ?? m.defaultParamMap?.rank;
  } catch {
    fail(file, `is not Spark's metadata JSON: ${JSON.stringify(line.slice(0, 80))}`, 'expected one JSON object with paramMap');
  }
}

/** Checks the columns are Spark's (`id` integer, `features` a list of float or double) before reading any row. */
function checkSchema(file: string, metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>): void {
  const root = parquetSchema(metadata);
  const id = root.children.find((c) => c.element.name === 'id');
  const features = root.children.find((c) => c.element.name === 'features');
  const found = root.children.map((c) => `${c.element.name} (${c.element.type ?? c.element.converted_type ?? c.element.logical_type?.type ?? 'group'})`).join(', ');
  if (!id || !features) fail(file, `has the columns ${found}`, 'expected Spark ALS factors: id (int) and features (array<float>)');
  if (!['INT32', 'INT64'].includes(id.element.type ?? '')) fail(file, `column id is ${id.element.type ?? 'a group'}`, 'expected an integer id, as ALS writes it');
  let leaf = features;
  while (leaf.children.length === 1) leaf = leaf.children[0];
  if (leaf.children.length !== 0 || !['FLOAT', 'DOUBLE'].includes(leaf.element.type ?? '') || features.children.length === 0) {
    fail(file, `column features is ${features.children.length === 0 ? features.element.type : `a list of ${leaf.element.type ?? 'groups'}`}`, 'expected array<float>');
  }
}

/** One side (userFactors/ or itemFactors/): every part file, in name order, into one table. */
export async function readSparkFactors(dir: string, rank: number | undefined): Promise<FactorTable> {
  const files = await partFiles(dir);
  const sources = await Promise.all(files.map(async (file) => {
    const buffer = await asyncBufferFromFile(file);
    const metadata = await parquetMetadataAsync(buffer);
    checkSchema(file, metadata);
    return { file, buffer, metadata, rows: Number(metadata.num_rows) };
  }));
  const total = sources.reduce((s, x) => s + x.rows, 0);
  const ids: string[] = new Array(total);
  let dim = rank ?? 0;
  let values = new Float32Array(dim ? total * dim : 0);
  let row = 0;
  for (const src of sources) {
    let groupStart = 0;
    for (const group of src.metadata.row_groups) {
      const n = Number(group.num_rows);
      const columns: Record<string, unknown[]> = {};
      await parquetRead({
        file: src.buffer,
        metadata: src.metadata,
        columns: ['id', 'features'],
        rowStart: groupStart,
        rowEnd: groupStart + n,
        onChunk: (c) => {
          (columns[c.columnName] ??= []).push(...(c.columnData as unknown[]));
        },
      });
      const idCol = columns.id ?? [];
      const featCol = columns.features ?? [];
      for (let k = 0; k < n; k++) {
        const at = `row ${groupStart + k} (id ${String(idCol[k])})`;
        const id = idCol[k];
        if (id === null || id === undefined) fail(src.file, `row ${groupStart + k} has a null id`);
        const f = featCol[k] as ArrayLike<number | null> | null;
        if (!f) fail(src.file, `${at} has null features`, 'every row needs a vector');
        if (dim === 0) {
          dim = f.length;
          values = new Float32Array(total * dim);
        }
        if (f.length !== dim) fail(src.file, `${at} has ${f.length} features, expected ${dim}${rank ? ` (the rank in metadata/)` : ' like the first row'}`);
        for (let c = 0; c < dim; c++) {
          const v = f[c];
          if (v === null || !Number.isFinite(v)) fail(src.file, `${at} has ${v} at feature ${c}`, 'every value must be a finite number');
          values[row * dim + c] = v;
        }
        ids[row++] = String(id);
      }
      groupStart += n;
    }
  }
  return { ids, dim, values };
}

/** An ALSModel.save folder: item factors, user factors, the rank checked against metadata/. */
export async function readSparkAls(dir: string): Promise<ImportedFactors> {
  const rank = await savedRank(dir);
  const items = await readSparkFactors(join(dir, 'itemFactors'), rank);
  const users = await readSparkFactors(join(dir, 'userFactors'), rank ?? items.dim);
  return { format: 'spark-als', files: [dir], items, users };
}

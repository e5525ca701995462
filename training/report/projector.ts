import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DecodedTensor } from '../../shared/artifact/decode.js';
import { TENSOR_NAMES } from '../../shared/model/loaded.js';
import { readArtifactDir } from './artifact-dir.js';

/**
 * TensorBoard's embedding projector input (notebook 002 writes its embeddings there): vectors.tsv (one row of
 * tab-separated numbers per item, no header), metadata.tsv (a header row, then one row per item in the same order)
 * and projector_config.pbtxt naming them, so `tensorboard --logdir <dir>` finds them; projector.tensorflow.org
 * loads the two TSV files directly. Vectors are the artifact's, dequantised by the same decoder the Worker uses.
 */
export const PROJECTOR_FILES = {
  vectors: 'vectors.tsv',
  metadata: 'metadata.tsv',
  tagVectors: 'tag_vectors.tsv',
  tagMetadata: 'tag_metadata.tsv',
  config: 'projector_config.pbtxt',
} as const;

/** Column names of metadata.tsv; `genre` is the first tag (what the projector colours by), `tags` all of them. */
export const METADATA_COLUMNS = ['title', 'genre', 'tags', 'id'] as const;

export interface ProjectorExport {
  dir: string;
  files: string[];
  items: number;
  dim: number;
  tags?: { count: number; dim: number };
}

export async function exportProjector(artifactDir: string, outDir: string): Promise<ProjectorExport> {
  const { tensors, items } = await readArtifactDir(artifactDir);
  const itemF = tensors.get(TENSOR_NAMES.itemFactors)!;
  const [nItems, dim] = itemF.shape;
  await mkdir(outDir, { recursive: true });
  const files: string[] = [PROJECTOR_FILES.vectors, PROJECTOR_FILES.metadata];
  await writeFile(join(outDir, PROJECTOR_FILES.vectors), vectorsTsv(itemF));
  const meta = items.items.map((m) => [m.title, m.tags?.[0] ?? '', (m.tags ?? []).join('|'), m.id].map(cell).join('\t'));
  await writeFile(join(outDir, PROJECTOR_FILES.metadata), [METADATA_COLUMNS.join('\t'), ...meta].join('\n') + '\n');
  const embeddings: { tensor: string; vectors: string; metadata: string }[] = [{ tensor: TENSOR_NAMES.itemFactors, vectors: PROJECTOR_FILES.vectors, metadata: PROJECTOR_FILES.metadata }];

  let tags: ProjectorExport['tags'];
  const tagF = tensors.get(TENSOR_NAMES.tagFactors);
  if (tagF && items.tags) {
    // One column, so no header row (the projector reads a header only when there are several columns).
    await writeFile(join(outDir, PROJECTOR_FILES.tagVectors), vectorsTsv(tagF));
    await writeFile(join(outDir, PROJECTOR_FILES.tagMetadata), items.tags.map(cell).join('\n') + '\n');
    files.push(PROJECTOR_FILES.tagVectors, PROJECTOR_FILES.tagMetadata);
    embeddings.push({ tensor: TENSOR_NAMES.tagFactors, vectors: PROJECTOR_FILES.tagVectors, metadata: PROJECTOR_FILES.tagMetadata });
    tags = { count: tagF.shape[0], dim: tagF.shape[1] };
  }
  const config = embeddings
    .map((e) => `embeddings {\n  tensor_name: "${e.tensor}"\n  tensor_path: "${e.vectors}"\n  metadata_path: "${e.metadata}"\n}\n`)
    .join('');
  await writeFile(join(outDir, PROJECTOR_FILES.config), config);
  files.push(PROJECTOR_FILES.config);
  return { dir: outDir, files, items: nItems, dim, tags };
}

function vectorsTsv(t: DecodedTensor): string {
  const [rows, cols] = t.shape;
  const lines: string[] = new Array(rows);
  const row: string[] = new Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) row[c] = float32Text(t.data[r * cols + c]);
    lines[r] = row.join('\t');
  }
  return lines.join('\n') + '\n';
}

/** The shortest decimal that reads back as the same float32: exact, and a third the size of 17 digits. */
export function float32Text(x: number): string {
  for (let p = 6; p < 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return String(Number(x.toPrecision(9)));
}

/** Tabs and line breaks would split a cell or a row. */
function cell(s: string): string {
  return s.replace(/[\t\r\n]+/g, ' ');
}

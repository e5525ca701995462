import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecodedArtifact } from '../../shared/artifact/decode.js';
import { readArtifact } from '../../training/export/artifact-files.js';
import type { TrainReport } from '../../training/pipeline/kinds.js';
import { exportProjector, float32Text, METADATA_COLUMNS, PROJECTOR_FILES } from '../../training/report/projector.js';
import { SMALL, trainSmallArtifact } from '../helpers/handmade-artifact.js';

describe('export-projector', () => {
  let trained: TrainReport;
  let artifact: DecodedArtifact;
  let out: string;

  beforeAll(async () => {
    trained = await trainSmallArtifact();
    artifact = await readArtifact(trained.out);
    out = await mkdtemp(join(tmpdir(), 'edgerec-projector-'));
    const r = await exportProjector(trained.out, out);
    expect(r).toEqual({
      dir: out,
      files: [PROJECTOR_FILES.vectors, PROJECTOR_FILES.metadata, PROJECTOR_FILES.config],
      items: SMALL.items,
      dim: 16,
      tags: undefined,
    });
  }, 60_000);

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
    await rm(trained.out, { recursive: true, force: true });
  });

  it('vectors.tsv parses back to the dequantised item vectors, row for row', async () => {
    const text = await readFile(join(out, PROJECTOR_FILES.vectors), 'utf8');
    const rows = text.trimEnd().split('\n').map((line) => line.split('\t').map(Number));
    const items = artifact.tensors.get('item_factors')!;
    expect(items.dtype).toBe('q8');
    expect(rows).toHaveLength(items.shape[0]);
    expect(rows.every((r) => r.length === items.shape[1])).toBe(true);
    // Exact: each number is the shortest decimal that reads back as the same float32.
    expect(Float32Array.from(rows.flat())).toEqual(items.data);
  });

  it('metadata.tsv has a header and one row per item in the same order', async () => {
    const lines = (await readFile(join(out, PROJECTOR_FILES.metadata), 'utf8')).trimEnd().split('\n');
    expect(lines[0]).toBe(METADATA_COLUMNS.join('\t'));
    expect(lines).toHaveLength(artifact.items.items.length + 1);
    lines.slice(1).forEach((line, i) => {
      const meta = artifact.items.items[i];
      expect(line.split('\t')).toEqual([meta.title, meta.tags?.[0] ?? '', (meta.tags ?? []).join('|'), meta.id]);
    });
    expect(artifact.items.items.every((m) => (m.tags ?? []).length > 0)).toBe(true);
  });

  it('projector_config.pbtxt names both files for TensorBoard', async () => {
    expect(await readFile(join(out, PROJECTOR_FILES.config), 'utf8')).toBe(
      'embeddings {\n  tensor_name: "item_factors"\n  tensor_path: "vectors.tsv"\n  metadata_path: "metadata.tsv"\n}\n',
    );
  });

  it.each([
    [0, '0'],
    [0.5, '0.5'],
    [Math.fround(0.1), '0.1'],
    [Math.fround(-1 / 3), '-0.33333334'],
    [Math.fround(1e-8), '1e-8'],
  ])('float32Text(%s) = %s, and it reads back exactly', (x, text) => {
    expect(float32Text(x)).toBe(text);
    expect(Math.fround(Number(float32Text(x)))).toBe(x);
  });
});

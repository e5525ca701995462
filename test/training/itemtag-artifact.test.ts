import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packArtifact } from '../../shared/artifact/encode.js';
import { loadModel, type LoadedModel } from '../../shared/model/loaded.js';
import { similarItems } from '../../shared/model/queries.js';
import { tagNamesOf } from '../../training/data/item-tag-dataset.js';
import { readArtifact } from '../../training/export/artifact-files.js';
import type { TrainReport } from '../../training/pipeline/kinds.js';
import { trainItemTagPipeline } from '../../training/pipeline/train-itemtag.js';
import { useWasmBackend } from '../../training/tf-node.js';
import { plantedItemTags } from '../helpers/itemtag-synthetic.js';

const { dataset, cluster } = plantedItemTags();
const tagsOf = tagNamesOf(dataset);

describe('itemtag artifact: trained, written, decoded and queried through shared/ on tfjs wasm', () => {
  let out: string;
  let report: TrainReport;
  let model: LoadedModel;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'edgerec-itemtag-'));
    report = await trainItemTagPipeline({ dataset, split: 'random-80-20', options: { seed: 2, dim: 16, epochs: 20 }, quantization: 'q8', out });
    await useWasmBackend();
    model = loadModel('tags', 'v1', await readArtifact(out));
  });
  afterAll(async () => {
    model?.dispose();
    await rm(out, { recursive: true, force: true });
  });

  it('reports tag overlap against random pairs and the tag-set baseline, float and quantised', () => {
    expect(report.model).toBe('itemtag');
    expect(report.split).toBe('random-80-20');
    expect(report.dataset).toMatchObject({ items: 320, tags: 38, pairs: dataset.pairs.item.length, queries: 320 });
    const m = report.metrics;
    expect(m.tag_overlap_at_10).toBeGreaterThan(0.42);
    expect(m.tag_overlap_at_10).toBeGreaterThan(6 * m.tag_overlap_at_10_random);
    expect(report.baselines.random.tag_overlap_at_10).toBe(m.tag_overlap_at_10_random);
    expect(report.baselines.train_tags_jaccard.tag_overlap_at_10).toBeGreaterThan(m.tag_overlap_at_10_random);
    expect(m.valid_auc).toBeGreaterThan(0.85);
    expect(m.valid_loss).toBeLessThan(report.baselines.constant.valid_loss);
    expect(Math.abs((report.quantized.tag_overlap_at_10 as number) - m.tag_overlap_at_10)).toBeLessThan(0.03);
    expect(report.epochs).toHaveLength(20);
    expect(report.bytes.artifact).toBeLessThan(0.4 * report.bytes.float32);
  });

  it('has no users (users: [], seen.indptr [0]), the tag vocabulary, and item + tag tables of one width', async () => {
    const a = await readArtifact(out);
    expect(a.manifest.model.kind).toBe('itemtag');
    expect(a.manifest.counts).toEqual({ users: 0, items: 320, tags: 38 });
    expect(a.items.users).toEqual([]);
    expect(a.items.seen).toEqual({ indptr: [0], indices: [] });
    expect(a.items.tags).toEqual(dataset.tags);
    expect(a.items.items[7]).toEqual({ id: 'g7', title: 'Planted game 7 (cluster 7)', tags: tagsOf[7] });
    expect(a.tensors.get('item_factors')).toMatchObject({ shape: [320, 16], dtype: 'q8' });
    expect(a.tensors.get('tag_factors')).toMatchObject({ shape: [38, 16], dtype: 'q8' });
    expect(a.tensors.has('user_factors')).toBe(false);
    expect(a.manifest.metrics.quantized.tag_overlap_at_10).toBe(report.quantized.tag_overlap_at_10);
  });

  it('a zero-user catalogue whose seen CSR is inconsistent is refused when packed (format 2: seen lists live in tensors.bin)', async () => {
    const a = await readArtifact(out);
    const bad = { ...a.items, seen: { indptr: [0], indices: [3] } };
    await expect(packArtifact(a.manifest, new Uint8Array(0), bad)).rejects.toThrow(/seen\.indptr ends at 0 but seen\.indices has 1/);
  });

  it('loads in shared/ with no users and tag embeddings; similarItems returns cluster-mates that share tags', () => {
    expect(model.users.size).toBe(0);
    expect(model.tags?.index.size).toBe(38);
    for (const i of [0, 5, 77, 319]) {
      const near = similarItems(model, i, 10);
      expect(near).toHaveLength(10);
      expect(near.map((s) => s.index)).not.toContain(i);
      const sameCluster = near.filter((s) => cluster[s.index] === cluster[i]).length;
      const sharing = near.filter((s) => tagsOf[s.index].some((t) => tagsOf[i].includes(t))).length;
      expect(sameCluster).toBeGreaterThanOrEqual(9);
      expect(sharing).toBeGreaterThanOrEqual(9);
      for (let k = 1; k < near.length; k++) expect(near[k].score).toBeLessThanOrEqual(near[k - 1].score);
    }
  });

  it('answers queries without leaking tensors', () => {
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) similarItems(model, i, 10);
    expect(tf.memory().numTensors).toBe(before);
  });
});

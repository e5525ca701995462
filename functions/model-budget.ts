// The per-isolate model memory budget: how it is configured, what a model is expected to hold, and the refusal.
import type { Manifest } from '../shared/artifact/schema.js';
import { CATALOG_TENSORS } from '../shared/artifact/catalog.js';
import { EdgerecError } from '../shared/errors.js';

const CATALOG_NAMES = new Set<string>(Object.values(CATALOG_TENSORS));
import type { Env } from './env.js';

/**
 * Default MODEL_MEMORY_BUDGET_MB: tensor bytes (LoadedModel.residentBytes, summed over the models an isolate holds).
 * A Workers isolate has 128 MB. Measured with the current tfjs-wasm scoring (BENCHMARKS.md, memory part, d = 64):
 * an isolate holds ~27 MB before any model (app JS ~11 MB, a 16 MB wasm heap) plus ~2.25 bytes per tensor byte
 * (the tensors, the packed copy XNNPACK keeps of a matrix it multiplies, and the model's JS objects: ids, titles,
 * seen lists). 40 MB of tensors is then ~117 MB, leaving ~11 MB for load-time transients and requests.
 */
export const DEFAULT_BUDGET_MB = 40;

const MB = 1024 * 1024;

/** A model that would not fit this isolate's budget even alone: refused before it can exhaust memory. */
export class ModelTooLargeError extends EdgerecError {
  constructor(message: string) {
    super(503, 'model_too_large', message);
  }
}

const warned = new Set<string>();

/**
 * A numeric [vars] setting: a finite number >= min (and > 0 when `positive`), else the default. A bad value is
 * logged once per isolate (per distinct value), naming the variable, the value and what was used instead.
 */
export function numberVar(name: string, raw: string | undefined, fallback: number, opts: { positive?: boolean } = {}): number {
  if (raw === undefined || raw === '') return fallback;
  const x = Number(raw);
  if (Number.isFinite(x) && (opts.positive ? x > 0 : x >= 0)) return x;
  const key = `${name}=${raw}`;
  if (!warned.has(key)) {
    warned.add(key);
    console.error(
      `edgerec: ${name} = ${JSON.stringify(String(raw).slice(0, 80))} in wrangler.toml [vars] is not a ${opts.positive ? 'positive' : 'non-negative'} number; using ${fallback}. Fix the value in wrangler.toml.`,
    );
  }
  return fallback;
}

export function budgetBytes(env: Env): number {
  return Math.floor(numberVar('MODEL_MEMORY_BUDGET_MB', env.MODEL_MEMORY_BUDGET_MB, DEFAULT_BUDGET_MB, { positive: true }) * MB);
}

export function budgetMb(env: Env): number {
  return numberVar('MODEL_MEMORY_BUDGET_MB', env.MODEL_MEMORY_BUDGET_MB, DEFAULT_BUDGET_MB, { positive: true });
}

/**
 * Tensor bytes a model will hold once loaded, from manifest.json alone (before tensors.bin is downloaded), mirroring
 * loadModel (shared/model/loaded.ts): every tensor of the table is uploaded as f32 (q8 and f16 are dequantised), except
 * the per-row scales of q8 tensors, global_bias (a number), ivf_* (the coarse index lives in JS) and item_features
 * (only folded into the head's item part); item_factors also get [N] norms; absent item/user biases become zeros.
 * A head adds its precomputed item part [N, h1] (h1 = the first kernel's width). The store checks the real
 * residentBytes after upload too, so an estimate that is off only moves when the refusal happens.
 * Undefined when the manifest is not readable enough to estimate (decodeArtifact then says what is wrong).
 */
export function estimateResidentBytes(manifestText: string): number | undefined {
  let m: Manifest;
  try {
    m = JSON.parse(manifestText) as Manifest;
  } catch {
    return undefined;
  }
  if (!m || !Array.isArray(m.tensors) || !m.counts) return undefined;
  const items = Number(m.counts.items) || 0;
  const users = Number(m.counts.users) || 0;
  const scales = new Set(m.tensors.map((t) => t.scale).filter((s): s is string => typeof s === 'string'));
  const byName = new Map(m.tensors.map((t) => [t.name, t]));
  const size = (shape: unknown) => (Array.isArray(shape) ? shape.reduce((p: number, d) => p * (Number(d) || 0), 1) : 0);
  let elements = 0;
  for (const t of m.tensors) {
    // Catalogue blocks and row norms stay in JS (format 2): they are not tensor bytes.
    if (scales.has(t.name) || t.name === 'global_bias' || t.name === 'item_features' || t.name.startsWith('ivf_') || CATALOG_NAMES.has(t.name) || t.name.endsWith('.norm')) continue;
    // q8 tables scored by the int8 engine stay int8 in its memory (padded rows, f32 factors): counted as f32, the
    // estimate is an upper bound for them, and the store re-checks the measured figure after upload.
    elements += size(t.shape);
  }
  elements += items; // norms of item_factors
  if (!byName.has('item_bias')) elements += items;
  if (!byName.has('user_bias')) elements += users;
  const firstKernel = m.head?.layers?.[0] ? byName.get(m.head.layers[0].kernel) : undefined;
  if (firstKernel && Array.isArray(firstKernel.shape)) elements += items * (Number(firstKernel.shape[1]) || 0);
  return elements * 4;
}

export const formatBytes = (n: number) => `${Math.round(n).toLocaleString('en')} bytes (${(n / MB).toFixed(2)} MB)`;

/**
 * What a loaded model holds against the budget: its tfjs tensor bytes and the int8 engine's memory (its codes,
 * factors and terms). The catalogue's JS objects are outside it, as the rest of the JS heap is (see DEFAULT_BUDGET_MB).
 */
export function modelBytes(m: { residentBytes: number; engineBytes: number }): number {
  return m.residentBytes + m.engineBytes;
}

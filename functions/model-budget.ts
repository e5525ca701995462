// The per-isolate model memory budget: how it is configured, what a model is expected to hold, and the refusal.
import type { Manifest } from '../shared/artifact/schema.js';
import { CATALOG_TENSORS } from '../shared/artifact/catalog.js';
import { EdgerecError } from '../shared/errors.js';

const CATALOG_NAMES = new Set<string>(Object.values(CATALOG_TENSORS));
import type { Env } from './env.js';

/**
 * Default MODEL_MEMORY_BUDGET_MB: model bytes (modelBytes in shared/model/loaded.ts, summed over the models an isolate holds). A Workers
 * isolate has 128 MB. Measured in workerd (BENCHMARKS.md, memory part, d = 64): the app alone holds ~3 MB; a q8
 * model on the int8 engine holds its model bytes plus its catalogue (1M x 64 bench catalogue: 76 MB + 49 MB, 125 MB
 * resident in all); a model scored on tfjs-wasm adds tfjs' 16 MB heap, the packed copy XNNPACK keeps of each matrix
 * it multiplies (up to its tensor bytes again) and its catalogue. 40 MB is safe for either kind with room for a
 * swap's second version and for requests; an isolate serving one large engine model can raise it (1M x 64 alone
 * needs 82: its manifest estimate is 81 MB, 76.6 measured; it then fills the isolate).
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
 * Bytes a model will hold once loaded, from manifest.json alone (before tensors.bin is downloaded), mirroring
 * loadModel (shared/model/loaded.ts). With `engine` (a q8 item table scored by the int8 kernel) item_factors and
 * rank_item_factors stay int8: rows padded to 16 bytes plus three f32 columns per row (cosine factor, scale, bias),
 * and a 64 KiB page of slack per kernel memory. Every other tensor counts as f32 (q8 and f16 are dequantised),
 * except the per-row scales of q8 tensors, global_bias (a number), ivf_* and item_features (only folded into the
 * head's item part); item_factors also get [N] norms; absent item/user biases become zeros; a head adds its
 * precomputed item part [N, h1]. An upper bound: the store checks the measured figure after upload too.
 * Undefined when the manifest is not readable enough to estimate (decodeArtifact then says what is wrong).
 */
export function estimateResidentBytes(manifestText: string, engine = false): number | undefined {
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
  const onEngine = (t: Manifest['tensors'][number]) =>
    engine && t.dtype === 'q8' && (t.name === 'item_factors' || t.name === 'rank_item_factors') && Array.isArray(t.shape) && t.shape.length === 2;
  let bytes = 0;
  for (const t of m.tensors) {
    // Catalogue blocks and row norms stay in JS (format 2): they are not model bytes.
    if (CATALOG_NAMES.has(t.name) || scales.has(t.name) || t.name === 'global_bias' || t.name === 'item_features' || t.name.startsWith('ivf_') || t.name.endsWith('.norm')) continue;
    if (onEngine(t)) {
      const [rows, cols] = (t.shape as number[]).map(Number);
      bytes += rows * (Math.ceil(cols / 16) * 16 + 12) + 65536;
      continue;
    }
    bytes += size(t.shape) * 4;
  }
  bytes += items * 4; // norms of item_factors
  if (!byName.has('item_bias')) bytes += items * 4;
  if (!byName.has('user_bias')) bytes += users * 4;
  const firstKernel = m.head?.layers?.[0] ? byName.get(m.head.layers[0].kernel) : undefined;
  if (firstKernel && Array.isArray(firstKernel.shape)) bytes += items * (Number(firstKernel.shape[1]) || 0) * 4;
  return bytes;
}

export const formatBytes = (n: number) => `${Math.round(n).toLocaleString('en')} bytes (${(n / MB).toFixed(2)} MB)`;

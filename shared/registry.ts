import { BadRequestError } from './errors.js';

/**
 * Keys in the model bucket. Versions are immutable folders; CURRENT is the only key that is ever overwritten.
 *   <model>/<version>/manifest.json | tensors.bin | items.json
 *   <model>/CURRENT      (text: the live version)
 *   <model>/HIDDEN       (JSON: item ids every answer leaves out, across versions; npm run hide)
 *   <model>/SPLIT        (JSON: A/B variants, each a version and a share of users; npm run split; shared/split.ts)
 */
export const registryKeys = {
  current: (model: string) => `${model}/CURRENT`,
  hidden: (model: string) => `${model}/HIDDEN`,
  split: (model: string) => `${model}/SPLIT`,
  file: (model: string, version: string, file: string) => `${model}/${version}/${file}`,
};

const MODEL_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkModelName(name: string): string {
  if (!MODEL_NAME.test(name)) {
    throw new BadRequestError(
      `model name ${JSON.stringify(name.slice(0, 80))} is malformed: use 1..64 of a-z, 0-9, '-' or '_', starting with a letter or digit`,
      'bad_model_name',
    );
  }
  return name;
}

export function isVersion(v: string): boolean {
  return VERSION.test(v);
}

/** A sortable, unique version name: UTC time to the second plus the first 8 hex digits of the tensors' sha256. */
export function versionName(createdAt: Date, sha256: string): string {
  const t = createdAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${t}-${sha256.slice(0, 8)}`;
}

/** The most items a HIDDEN object may list: it is read on every CURRENT refresh and held per loaded model. */
export const MAX_HIDDEN = 10_000;

/** The body of <model>/HIDDEN. */
export interface HiddenFile {
  items: string[];
  updatedAt: string;
}

/**
 * Parses and validates a HIDDEN object: a list of at most MAX_HIDDEN distinct non-empty string ids. Throws an Error
 * naming what is wrong; both the CLI (before writing) and the Worker (before applying) use it.
 */
export function parseHidden(text: string): HiddenFile {
  const f = parseRegistryJson(text, 'HIDDEN') as Partial<HiddenFile> | null;
  if (!f || typeof f !== 'object' || !Array.isArray(f.items)) throw new Error('HIDDEN must be an object {"items": [ids], "updatedAt"}');
  if (f.items.length > MAX_HIDDEN) throw new Error(`HIDDEN lists ${f.items.length} items; at most ${MAX_HIDDEN} are allowed`);
  const bad = f.items.findIndex((id) => typeof id !== 'string' || id.length === 0 || id.length > 256);
  if (bad >= 0) throw new Error(`HIDDEN items[${bad}] is ${JSON.stringify(f.items[bad])}, not an id of 1..256 characters`);
  return { items: [...new Set(f.items as string[])], updatedAt: typeof f.updatedAt === 'string' ? f.updatedAt : '' };
}

/** The JSON of a registry object (HIDDEN, SPLIT); text that is not JSON is an Error naming the object. */
export function parseRegistryJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

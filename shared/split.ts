// A/B splits: the <model>/SPLIT object beside CURRENT (npm run split), how it is validated (the CLI before
// writing, the Worker before applying), and the stateless assignment of a user or visitor to a variant.
import { fnv1a64 } from './etag.js';
import { VARIANT_NAME } from './events.js';
import { isVersion, parseRegistryJson } from './registry.js';

/** The most variants one split may name: each is a resident version (see README, A/B splits). */
export const MAX_VARIANTS = 4;

export interface SplitVariant {
  name: string;
  version: string;
  /** Percent of users and visitors (the weights of a split sum to 100). */
  weight: number;
}

/** The body of <model>/SPLIT. */
export interface SplitFile {
  variants: SplitVariant[];
  /** Mixed into every assignment: a new salt reshuffles who gets which variant; the same salt keeps them sticky. */
  salt: string;
  updatedAt: string;
}

/**
 * Parses and validates a SPLIT object: 2..MAX_VARIANTS variants with distinct well-formed names, version names that
 * could be CURRENT's, whole-percent weights of at least 1 summing to 100, and a salt. Throws an Error naming what is
 * wrong. Whether the versions exist and fit in memory is checked by the CLI (and by the Worker when it loads them).
 */
export function parseSplit(text: string): SplitFile {
  const f = parseRegistryJson(text, 'SPLIT') as Partial<SplitFile> | null;
  if (!f || typeof f !== 'object' || !Array.isArray(f.variants)) throw new Error('SPLIT must be an object {"variants": [{"name", "version", "weight"}], "salt", "updatedAt"}');
  if (f.variants.length < 2 || f.variants.length > MAX_VARIANTS) throw new Error(`SPLIT names ${f.variants.length} variants; a split has 2 to ${MAX_VARIANTS}`);
  const names = new Set<string>();
  f.variants.forEach((x: Partial<SplitVariant>, i) => {
    if (!x || typeof x.name !== 'string' || !VARIANT_NAME.test(x.name)) throw new Error(`SPLIT variants[${i}].name is ${JSON.stringify(x?.name)}: use 1..32 of a-z, 0-9, '-' or '_', starting with a letter or digit`);
    if (names.has(x.name)) throw new Error(`SPLIT names variant ${JSON.stringify(x.name)} twice`);
    names.add(x.name);
    if (typeof x.version !== 'string' || !isVersion(x.version)) throw new Error(`SPLIT variants[${i}].version is ${JSON.stringify(x.version)}, which is not a version name`);
    if (typeof x.weight !== 'number' || !Number.isInteger(x.weight) || x.weight < 1 || x.weight > 99) throw new Error(`SPLIT variants[${i}].weight is ${JSON.stringify(x.weight)}: a whole percent from 1 to 99`);
  });
  const sum = f.variants.reduce((s, x) => s + x.weight, 0);
  if (sum !== 100) throw new Error(`SPLIT weights sum to ${sum}; they must sum to 100 (percent)`);
  if (typeof f.salt !== 'string' || f.salt.length < 1 || f.salt.length > 64) throw new Error('SPLIT salt must be a string of 1..64 characters');
  return { variants: f.variants.map(({ name, version, weight }) => ({ name, version, weight })), salt: f.salt, updatedAt: typeof f.updatedAt === 'string' ? f.updatedAt : '' };
}

/** Who a request is for, as far as a split is concerned. */
export interface SplitUnit {
  user?: string;
  visitor?: string;
  /** A variant the request names (the widget's links carry it): taken when the split has it. */
  variant?: string;
}

/**
 * The variant of `unit` under `split`: the one it names, if the split has it; else by a stable hash of the model,
 * the salt and the user (or visitor) id into [0, 1), cut at the cumulative weights. No state: the same id gets the
 * same variant in every isolate and on every request. With neither id, the first variant (the control).
 */
export function assignVariant(split: SplitFile, model: string, unit: SplitUnit): SplitVariant {
  const named = unit.variant === undefined ? undefined : split.variants.find((v) => v.name === unit.variant);
  if (named) return named;
  const id = unit.user !== undefined ? `user\n${unit.user}` : unit.visitor !== undefined ? `visitor\n${unit.visitor}` : undefined;
  if (id === undefined) return split.variants[0];
  const x = unitInterval(`${model}\n${split.salt}\n${id}`);
  let edge = 0;
  for (const v of split.variants) {
    edge += v.weight / 100;
    if (x < edge) return v;
  }
  return split.variants[split.variants.length - 1];
}

const M64 = 0xffffffffffffffffn;

/**
 * FNV-1a 64 of text through MurmurHash3's 64-bit finaliser, top 53 bits as a number in [0, 1). FNV alone leaves its
 * top bits nearly equal for ids that differ only in the last characters (u1, u2, ...); the finaliser spreads them.
 */
export function unitInterval(text: string): number {
  let h = BigInt(`0x${fnv1a64(text)}`);
  h ^= h >> 33n;
  h = (h * 0xff51afd7ed558ccdn) & M64;
  h ^= h >> 33n;
  h = (h * 0xc4ceb9fe1a85ec53n) & M64;
  h ^= h >> 33n;
  return Number(h >> 11n) / 2 ** 53;
}

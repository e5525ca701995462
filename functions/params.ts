import { BadRequestError } from '../shared/errors.js';

export const MAX_K = 100;

/** `k`: how many results, an integer 1..100 (default 10). */
export function parseK(raw: string | undefined, fallback = 10): number {
  if (raw === undefined) return fallback;
  const k = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) {
    throw new BadRequestError(`k must be an integer from 1 to ${MAX_K}, got ${JSON.stringify(raw.slice(0, 40))}`, 'bad_k');
  }
  return k;
}

export function parseBool(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new BadRequestError(`${name} must be true or false, got ${JSON.stringify(raw.slice(0, 40))}`, `bad_${name}`);
}

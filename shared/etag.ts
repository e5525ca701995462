/**
 * Entity tags for answers that are a pure function of (model version, request): the tag is computed from the
 * version and the normalised request, so a 304 needs no hashing of the body and a new version changes every tag.
 *
 * FNV-1a 64 rather than crypto.subtle: it is synchronous, a dozen lines, and a tag only has to tell apart the
 * representations of one URL over time (2^-64 per pair), not resist an attacker.
 */

const encoder = new TextEncoder();

/**
 * FNV-1a 64-bit over the UTF-8 bytes of text, as 16 lower-case hex digits. In two 32-bit halves (every request
 * computes one: BigInt arithmetic was 4% of a similar-items request): the prime is 2^40 + 0x1b3, so
 * h * prime = h * 0x1b3 + (h << 40), and lo * 0x1b3 < 2^41 is exact in a double.
 */
export function fnv1a64(text: string): string {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (const b of encoder.encode(text)) {
    lo ^= b;
    const p = (lo >>> 0) * 0x1b3;
    const carry = Math.floor(p / 0x100000000);
    hi = (Math.imul(hi, 0x1b3) + carry + (lo << 8)) >>> 0;
    lo = p >>> 0;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/**
 * The query string with its parameters sorted by name (then value), so `?b=1&a=2` and `?a=2&b=1` share a tag.
 * Encoding is normalised too: URLSearchParams decodes and re-encodes every pair.
 */
export function normalizedQuery(search: string): string {
  const params = [...new URLSearchParams(search)];
  params.sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  return new URLSearchParams(params).toString();
}

export interface EtagInput {
  /** The model version the answer was computed from. */
  version: string;
  /** HEAD is folded into GET: both describe the same representation. */
  method: string;
  /** URL path as received (percent-encoded). */
  path: string;
  /** Raw query string, with or without the leading '?'. */
  search: string;
  /** Bumped when a representation's format changes without a new model version (e.g. the widget's markup). */
  salt?: string;
}

/** A strong ETag (quoted) for an answer computed from `version` for this request. */
export function versionEtag(e: EtagInput): string {
  const method = e.method.toUpperCase() === 'HEAD' ? 'GET' : e.method.toUpperCase();
  const key = [e.salt ?? '', e.version, method, e.path, normalizedQuery(e.search)].join('\n');
  return `"${fnv1a64(key)}"`;
}

/**
 * Does an If-None-Match header match this tag? Weak comparison (RFC 9110 13.1.2): a CDN that compresses an answer
 * turns its strong tag into W/"..." and the browser sends that back.
 */
export function etagMatches(etag: string, ifNoneMatch: string | null | undefined): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  const want = strip(etag);
  return (ifNoneMatch.match(/(?:W\/)?"[^"]*"/g) ?? []).some((t) => strip(t) === want);
}

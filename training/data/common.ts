import { createHash } from 'node:crypto';

/** Interns string ids in first-seen order: the index of an id is its position in `ids`. */
export class IdIndex {
  readonly ids: string[] = [];
  private readonly index = new Map<string, number>();

  intern(id: string): number {
    let i = this.index.get(id);
    if (i === undefined) {
      i = this.ids.length;
      this.index.set(id, i);
      this.ids.push(id);
    }
    return i;
  }

  get size(): number {
    return this.ids.length;
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * sha256 over named parts. Each part is framed by its name and length so that moving bytes between files, or
 * adding/removing an optional file, always changes the fingerprint.
 */
export function fingerprintParts(parts: { name: string; bytes: Uint8Array }[]): string {
  const hash = createHash('sha256');
  for (const { name, bytes } of parts) {
    hash.update(`${name}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}

export function ratingRange(rating: Float32Array): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < rating.length; i++) {
    const r = rating[i];
    if (r < min) min = r;
    if (r > max) max = r;
  }
  return [min, max];
}

/** Upper bound on the number of lines, for preallocating columns. */
export function countLines(buf: Uint8Array): number {
  let n = 1;
  for (let i = 0; i < buf.length; i++) if (buf[i] === 10) n++;
  return n;
}

/**
 * Calls `fn(start, end, lineNo)` for each line of `buf` (1-based line numbers), with a trailing `\r` excluded from
 * the range. Works on bytes so that 100k-line files parse without allocating a string per line.
 */
export function forEachLine(buf: Uint8Array, fn: (start: number, end: number, lineNo: number) => void): void {
  let start = 0;
  let lineNo = 1;
  const n = buf.length;
  while (start < n) {
    let end = buf.indexOf(10, start);
    if (end < 0) end = n;
    const next = end + 1;
    if (end > start && buf[end - 1] === 13) end--;
    fn(start, end, lineNo);
    start = next;
    lineNo++;
  }
}

/** True when the byte range is empty or only spaces/tabs. */
export function isBlank(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 32 && buf[i] !== 9) return false;
  return true;
}

/** Parses an unsigned decimal integer in [start, end); returns -1 if the range is empty or has any non-digit. */
export function parseUInt(buf: Uint8Array, start: number, end: number): number {
  // 15 digits keeps every value exactly representable as a double.
  if (end <= start || end - start > 15) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

const latin1 = new TextDecoder('latin1');

export function latin1Text(buf: Uint8Array, start: number, end: number): string {
  return latin1.decode(buf.subarray(start, end));
}

/** Parses a finite decimal number in [start, end) (integers take the fast path); NaN when it is not one. */
export function parseNumber(buf: Uint8Array, start: number, end: number): number {
  const v = parseUInt(buf, start, end);
  if (v >= 0) return v;
  const text = latin1Text(buf, start, end).trim();
  if (text === '') return NaN;
  const x = Number(text);
  return Number.isFinite(x) ? x : NaN;
}

/** Copies the first `n` rows of the preallocated columns into right-sized arrays. */
export function trimRows<T extends Int32Array | Float32Array | Float64Array>(arr: T, n: number): T {
  return (arr.length === n ? arr : arr.slice(0, n)) as T;
}

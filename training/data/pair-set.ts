/**
 * A set of non-negative integer keys below 2^53 (here item * nTags + tag), open addressing over a Float64Array.
 * Negative sampling asks it once per draw; a JS Set would do, but holds at most 2^24 entries (notebook 003's
 * table is 950k pairs, a full Wikipedia dump is far more) and costs ~50 bytes a key.
 */
export class PairSet {
  private table: Float64Array;
  private mask: number;
  private count = 0;

  constructor(expected = 16) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.table = new Float64Array(cap).fill(-1);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  private slot(key: number): number {
    // Mix both 32-bit halves (keys may exceed 2^32), then probe linearly.
    const lo = key >>> 0;
    const hi = Math.floor(key / 0x1_0000_0000) >>> 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1);
    h ^= h >>> 15;
    let s = h & this.mask;
    while (this.table[s] !== -1 && this.table[s] !== key) s = (s + 1) & this.mask;
    return s;
  }

  has(key: number): boolean {
    return this.table[this.slot(key)] === key;
  }

  add(key: number): void {
    if (!(key >= 0 && key <= Number.MAX_SAFE_INTEGER) || !Number.isInteger(key)) {
      throw new RangeError(`PairSet keys are integers from 0 to 2^53 - 1, got ${key}`);
    }
    const s = this.slot(key);
    if (this.table[s] === key) return;
    this.table[s] = key;
    if (++this.count * 2 > this.table.length) this.grow();
  }

  private grow(): void {
    const old = this.table;
    this.table = new Float64Array(old.length * 2).fill(-1);
    this.mask = this.table.length - 1;
    for (const k of old) if (k !== -1) this.table[this.slot(k)] = k;
  }
}

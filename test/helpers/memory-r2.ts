// An R2 bucket in memory for running the Worker's app in Node (app.request): records which methods are called and
// can be told to fail, so tests can watch for writes and inject storage faults call by call.
import type { Bucket } from '../../training/publish/publish.js';

export interface MemoryR2 {
  /** Pass as env.MODELS. */
  binding: unknown;
  objects: Map<string, Uint8Array>;
  /** Names of the binding's methods called so far (get, head, list, put, delete). */
  calls: string[];
  /** The same calls with their key (list: its prefix), e.g. `get demo/CURRENT`, `list ` (no prefix). */
  keyed: string[];
  /** When set and true for a key (list: the prefix), that call throws, as R2 does on an internal error. */
  fail?: (method: string, key: string) => boolean;
  /** The registry's view (publish, rollback) of the same objects, outside the spy. */
  publisher: Bucket;
}

export function memoryR2(): MemoryR2 {
  const objects = new Map<string, Uint8Array>();
  const calls: string[] = [];
  const keyed: string[] = [];
  const state: MemoryR2 = { binding: undefined, objects, calls, keyed, publisher: undefined as never };
  const check = (method: string, key: string) => {
    keyed.push(`${method} ${key}`);
    if (state.fail?.(method, key)) throw new Error(`R2 ${method} ${key}: We encountered an internal error. Please try again. (10001)`);
  };
  const body = (key: string, b: Uint8Array) => ({
    key,
    size: b.byteLength,
    text: async () => new TextDecoder().decode(b),
    json: async () => JSON.parse(new TextDecoder().decode(b)) as unknown,
    arrayBuffer: async () => b.slice().buffer,
  });
  const r2 = {
    async get(key: string) {
      check('get', key);
      const b = objects.get(key);
      return b ? body(key, b) : null;
    },
    async head(key: string) {
      check('head', key);
      const b = objects.get(key);
      return b ? { key, size: b.byteLength } : null;
    },
    async list(o: { prefix?: string; delimiter?: string; limit?: number } = {}) {
      const prefix = o.prefix ?? '';
      check('list', prefix);
      const keys = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
      const prefixes = new Set<string>();
      const direct: { key: string }[] = [];
      for (const k of keys) {
        const at = o.delimiter ? k.indexOf(o.delimiter, prefix.length) : -1;
        if (at >= 0) prefixes.add(k.slice(0, at + 1));
        else direct.push({ key: k });
      }
      return { objects: direct.slice(0, o.limit ?? 1000), delimitedPrefixes: [...prefixes], truncated: false };
    },
    async put(key: string, v: string | ArrayBuffer | ArrayBufferView) {
      check('put', key);
      objects.set(key, typeof v === 'string' ? new TextEncoder().encode(v) : new Uint8Array(ArrayBuffer.isView(v) ? v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) : v.slice(0)));
      return { key };
    },
    async delete(key: string) {
      check('delete', key);
      objects.delete(key);
    },
  };
  state.binding = new Proxy(r2, {
    get(target, prop) {
      const v = target[prop as keyof typeof target];
      if (typeof v === 'function') calls.push(String(prop));
      return v;
    },
  });
  state.publisher = {
    put: async (k, d) => void objects.set(k, typeof d === 'string' ? new TextEncoder().encode(d) : d.slice()),
    get: async (k) => objects.get(k)?.slice() ?? null,
  };
  return state;
}

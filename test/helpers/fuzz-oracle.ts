// The expected answer of a request to the Worker, worked out independently of the Worker's validation code from
// the rules the README and GET /openapi.json state (k 1..100, ids of 1..256 printable characters, model names,
// body fields). Only answers that need the model (results, unknown ids) are computed with shared/ on the Node side.

/** What a request must get: a status, and for errors the code and (optionally) a fragment of the message. */
export interface Expect {
  status: number;
  code?: string;
  /** The error message contains this (e.g. the field path of a bad body field). */
  mentions?: string;
}

export const ok = (): Expect => ({ status: 200 });
export const err = (status: number, code: string, mentions?: string): Expect => ({ status, code, ...(mentions ? { mentions } : {}) });

export const MAX_K = 100;
export const WIDGET_MAX_K = 30;
export const MAX_BODY_BYTES = 64 * 1024;

/** ?k=: absent means 10; otherwise 1..4 ASCII digits whose value is 1..100. */
export function kValue(raw: string | undefined, max = MAX_K): number | undefined {
  if (raw === undefined) return 10;
  if (!/^[0-9]{1,4}$/.test(raw)) return undefined;
  const k = Number(raw);
  return k >= 1 && k <= max ? k : undefined;
}

/** An id (item, user, tag) in a URL or body: 1..256 UTF-16 units, no C0 control character or DEL. */
export function idOk(id: string): boolean {
  return id.length >= 1 && id.length <= 256 && !/[\u0000-\u001f\u007f]/.test(id);
}

export function modelNameOk(name: string): boolean {
  return /^[a-z0-9][a-z0-9_-]{0,63}$/.test(name);
}

/** The URL parser removes "." and ".." segments (also percent-encoded), so such ids cannot be addressed in a path. */
export function isDotSegment(s: string): boolean {
  return /^(\.|%2e){1,2}$/i.test(s);
}

/** Path segment for an id: percent-encoded, so "/", "?", "#", "%" and non-ASCII travel as part of the id. */
export const seg = (s: string) => encodeURIComponent(s);

// ---- bodies: a mirror of the documented body schemas (README "Bodies", GET /openapi.json) ----

export type Spec =
  | { t: 'int'; min: number; max: number }
  | { t: 'id'; kind: 'item' | 'user' | 'tag' }
  | { t: 'arr'; of: Spec; min: number; max: number }
  | { t: 'pair'; a: Spec; b: Spec }
  | { t: 'obj'; fields: Record<string, Spec>; optional: Record<string, unknown> };

export type Checked = { ok: true; value: unknown } | { ok: false; expect: Expect };

const bad = (path: string): Checked => ({ ok: false, expect: err(400, 'bad_field', `${path} must`) });

/** Validates a parsed JSON body against a spec the way the README describes: first problem wins, in field order. */
export function checkBody(spec: Spec, value: unknown, path = 'body'): Checked {
  switch (spec.t) {
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) && value >= spec.min && value <= spec.max ? { ok: true, value } : bad(path);
    case 'id':
      if (spec.kind !== 'tag' && typeof value === 'number' && Number.isSafeInteger(value)) return { ok: true, value: String(value) };
      return typeof value === 'string' && idOk(value) ? { ok: true, value } : bad(path);
    case 'arr': {
      if (!Array.isArray(value)) return bad(path);
      if (value.length < spec.min || value.length > spec.max) return { ok: false, expect: err(400, 'bad_field', `${path} must hold`) };
      const out: unknown[] = [];
      for (let i = 0; i < value.length; i++) {
        const r = checkBody(spec.of, value[i], `${path}[${i}]`);
        if (!r.ok) return r;
        out.push(r.value);
      }
      return { ok: true, value: out };
    }
    case 'pair': {
      if (!Array.isArray(value) || value.length !== 2) return bad(path);
      const a = checkBody(spec.a, value[0], `${path}[0]`);
      if (!a.ok) return a;
      const b = checkBody(spec.b, value[1], `${path}[1]`);
      if (!b.ok) return b;
      return { ok: true, value: [a.value, b.value] };
    }
    case 'obj': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad(path);
      const rec = value as Record<string, unknown>;
      const names = Object.keys(spec.fields);
      const extra = Object.keys(rec).find((key) => !names.includes(key));
      if (extra !== undefined) return { ok: false, expect: err(400, 'unknown_field', `has no field ${JSON.stringify(extra)}`) };
      const missing = names.find((n) => !(n in spec.optional) && rec[n] === undefined);
      if (missing !== undefined) return { ok: false, expect: err(400, 'missing_field', `${path}.${missing} is missing`) };
      const out: Record<string, unknown> = {};
      for (const n of names) {
        if (n in spec.optional && (rec[n] === undefined || rec[n] === null)) {
          out[n] = spec.optional[n];
          continue;
        }
        const r = checkBody(spec.fields[n], rec[n], `${path}.${n}`);
        if (!r.ok) return r;
        out[n] = r.value;
      }
      return { ok: true, value: out };
    }
  }
}

const itemId: Spec = { t: 'id', kind: 'item' };
const k: Spec = { t: 'int', min: 1, max: MAX_K };

export const BODY_SPECS = {
  predict: { t: 'obj', fields: { pairs: { t: 'arr', of: { t: 'pair', a: { t: 'id', kind: 'user' }, b: itemId }, min: 1, max: 1000 } }, optional: {} },
  examples: {
    t: 'obj',
    fields: { liked: { t: 'arr', of: itemId, min: 0, max: 200 }, disliked: { t: 'arr', of: itemId, min: 0, max: 200 }, k },
    optional: { liked: [], disliked: [], k: 10 },
  },
  arithmetic: {
    t: 'obj',
    fields: { item: itemId, plus: { t: 'arr', of: { t: 'id', kind: 'tag' }, min: 0, max: 20 }, minus: { t: 'arr', of: { t: 'id', kind: 'tag' }, min: 0, max: 20 }, k },
    optional: { plus: [], minus: [], k: 10 },
  },
} satisfies Record<string, Spec>;

/** The body text as the Worker reads it: empty or not JSON is 400 bad_json; otherwise the parsed value. */
export function parseBodyText(text: string): { ok: true; value: unknown } | { ok: false; expect: Expect } {
  if (new TextEncoder().encode(text).byteLength > MAX_BODY_BYTES) return { ok: false, expect: err(413, 'body_too_large') };
  // Request.text() decodes UTF-8 as the Encoding standard says: a leading byte order mark is dropped.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') return { ok: false, expect: err(400, 'bad_json') };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, expect: err(400, 'bad_json') };
  }
}

import { BadRequestError } from '../errors.js';

/**
 * A tiny declarative schema: each node validates a parsed JSON value, describes itself as JSON Schema 2020-12
 * (what OpenAPI 3.1 embeds) and carries its TypeScript type (Infer), so request validation, the answers' types
 * (shared/api/answers.ts), GET /openapi.json and the client (shared/client/) come from one definition.
 * Chosen over zod + a generator: these few shapes need ~200 lines, error messages in the project's own form
 * (field path, offending value, expected type) and nothing added to the bundle beyond them.
 */
export interface Schema<T> {
  readonly json: JsonSchema;
  /** Returns the value (normalised: ids as strings, defaults filled) or throws a 400 naming `path`. */
  parse(value: unknown, path: string): T;
  /** Set by optional() and maybe(): the field may be absent from its object. */
  readonly optional?: boolean;
}

/** A field an answer leaves out when it does not apply (maybe()): optional in the object's type. */
export interface Maybe<T> extends Schema<T | undefined> {
  readonly absent: true;
}

export type JsonSchema = Record<string, unknown>;
export type Infer<S> = S extends Schema<infer T> ? T : never;

/** A wrong type or value: 400 `bad_field`, naming the field, the value and what was expected. */
export function fieldError(path: string, expected: string, value: unknown): BadRequestError {
  return new BadRequestError(`${path} must be ${expected}, got ${show(value)}`, 'bad_field');
}

function show(value: unknown): string {
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  let text = JSON.stringify(value) ?? String(value);
  if (text.length > 60) text = `${text.slice(0, 57)}...`;
  return kind === 'object' || kind === 'array' ? `${text} (an ${kind})` : `${text} (${kind})`;
}

interface Bounds {
  minimum?: number;
  maximum?: number;
  description?: string;
}

/** An integer, in [minimum, maximum] when they are given. */
export function integer(opts: Bounds = {}): Schema<number> {
  return bounded('integer', opts, Number.isSafeInteger);
}

/** A finite JSON number, in [minimum, maximum] when they are given. */
export function number(opts: Bounds = {}): Schema<number> {
  return bounded('number', opts, Number.isFinite);
}

function bounded(type: 'integer' | 'number', opts: Bounds, ok: (x: number) => boolean): Schema<number> {
  const { minimum = -Infinity, maximum = Infinity, description } = opts;
  const range = Number.isFinite(minimum) || Number.isFinite(maximum) ? ` from ${minimum} to ${maximum}` : '';
  return {
    json: { type, ...(opts.minimum !== undefined ? { minimum } : {}), ...(opts.maximum !== undefined ? { maximum } : {}), ...(description ? { description } : {}) },
    parse(value, path) {
      if (typeof value !== 'number' || !ok(value) || value < minimum || value > maximum) {
        throw fieldError(path, `${type === 'integer' ? 'an integer' : 'a number'}${range}`, value);
      }
      return value;
    },
  };
}

export function string(description?: string): Schema<string> {
  return {
    json: { type: 'string', ...(description ? { description } : {}) },
    parse(value, path) {
      if (typeof value !== 'string') throw fieldError(path, 'a string', value);
      return value;
    },
  };
}

export function boolean(description?: string): Schema<boolean> {
  return {
    json: { type: 'boolean', ...(description ? { description } : {}) },
    parse(value, path) {
      if (typeof value !== 'boolean') throw fieldError(path, 'true or false', value);
      return value;
    },
  };
}

/**
 * An original id: a string of 1..256 printable characters, or an integer (written as a number in JSON, read as
 * its decimal string), since datasets' ids are often numeric.
 */
export function id(kind: 'item' | 'user' | 'tag', description?: string): Schema<string> {
  return {
    json: {
      type: kind === 'tag' ? 'string' : ['string', 'integer'],
      minLength: 1,
      maxLength: 256,
      description: description ?? `${kind} id as in the dataset${kind === 'tag' ? ' (case-sensitive)' : ' (a string, or an integer)'}`,
    },
    parse(value, path) {
      if (kind !== 'tag' && typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
      if (typeof value === 'string' && value.length >= 1 && value.length <= 256 && !/[\u0000-\u001f\u007f]/.test(value)) return value;
      const what = kind === 'tag' ? 'a tag' : `${kind === 'item' ? 'an' : 'a'} ${kind} id`;
      throw fieldError(path, `${what} (1..256 printable characters${kind === 'tag' ? '' : ', or an integer'})`, value);
    },
  };
}

export function array<T>(item: Schema<T>, opts: { minItems?: number; maxItems?: number; description?: string } = {}): Schema<T[]> {
  const { minItems = 0, maxItems = Infinity, description } = opts;
  const size = Number.isFinite(maxItems) ? `${minItems} to ${maxItems}` : `at least ${minItems}`;
  return {
    json: {
      type: 'array',
      items: item.json,
      ...(minItems > 0 ? { minItems } : {}),
      ...(Number.isFinite(maxItems) ? { maxItems } : {}),
      ...(description ? { description } : {}),
    },
    parse(value, path) {
      if (!Array.isArray(value)) throw fieldError(path, `an array of ${size} items`, value);
      if (value.length < minItems || value.length > maxItems) {
        throw new BadRequestError(`${path} must hold ${size} items, got ${value.length}`, 'bad_field');
      }
      return value.map((v, i) => item.parse(v, `${path}[${i}]`));
    },
  };
}

export function pair<A, B>(first: Schema<A>, second: Schema<B>, description?: string): Schema<[A, B]> {
  return {
    json: { type: 'array', prefixItems: [first.json, second.json], minItems: 2, maxItems: 2, ...(description ? { description } : {}) },
    parse(value, path) {
      if (!Array.isArray(value) || value.length !== 2) throw fieldError(path, 'a pair [first, second]', value);
      return [first.parse(value[0], `${path}[0]`), second.parse(value[1], `${path}[1]`)];
    },
  };
}

/** Absent (or null) reads as `fallback`; the JSON Schema records it as the default. */
export function optional<T>(schema: Schema<T>, fallback: T): Schema<T> {
  return {
    json: { ...schema.json, default: fallback },
    optional: true,
    parse: (value, path) => (value === undefined || value === null ? fallback : schema.parse(value, path)),
  };
}

/** May be absent from an answer's object (and is then absent from its type): unlike optional(), no default. */
export function maybe<T>(schema: Schema<T>): Maybe<T> {
  return {
    json: schema.json,
    optional: true,
    absent: true,
    parse: (value, path) => (value === undefined ? undefined : schema.parse(value, path)),
  };
}

/** The value, or null. */
export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  return {
    json: { anyOf: [schema.json, { type: 'null' }] },
    parse: (value, path) => (value === null ? null : schema.parse(value, path)),
  };
}

/** A JSON object whose keys are free and whose values all match `value` (hyper-parameters, metrics). */
export function record<T>(value: Schema<T>, description?: string): Schema<Record<string, T>> {
  return {
    json: { type: 'object', additionalProperties: value.json, ...(description ? { description } : {}) },
    parse(v, path) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fieldError(path, 'a JSON object', v);
      return Object.fromEntries(Object.entries(v).map(([key, x]) => [key, value.parse(x, `${path}.${key}`)]));
    },
  };
}

/** A string, a number or a boolean (a hyper-parameter's value). */
export function scalar(description?: string): Schema<string | number | boolean> {
  return {
    json: { type: ['string', 'number', 'boolean'], ...(description ? { description } : {}) },
    parse(value, path) {
      if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return value;
      throw fieldError(path, 'a string, a number or a boolean', value);
    },
  };
}

/** Exactly one of the schemas matches (answers of two shapes, e.g. a known user's or the popular fallback). */
export function either<A, B>(a: Schema<A>, b: Schema<B>, description?: string): Schema<A | B> {
  return {
    json: { oneOf: [a.json, b.json], ...(description ? { description } : {}) },
    parse(value, path) {
      try {
        return a.parse(value, path);
      } catch {
        return b.parse(value, path);
      }
    },
  };
}

type Shape = Record<string, Schema<unknown>>;
type AbsentKeys<S extends Shape> = { [K in keyof S]: S[K] extends { readonly absent: true } ? K : never }[keyof S];
type Flat<T> = { [K in keyof T]: T[K] };
type ObjectOf<S extends Shape> = Flat<
  { [K in Exclude<keyof S, AbsentKeys<S>>]: Infer<S[K]> } & { [K in AbsentKeys<S>]?: Exclude<Infer<S[K]>, undefined> }
>;

/**
 * A JSON object with exactly these fields: a misspelt field is refused rather than silently ignored. `open`: other
 * fields may follow (a document that has extensions, like OpenAPI's own); they are kept as they are.
 */
export function object<S extends Shape>(shape: S, opts: { description?: string; example?: unknown; open?: boolean } = {}): Schema<ObjectOf<S>> {
  const names = Object.keys(shape);
  const required = names.filter((n) => !shape[n].optional);
  return {
    json: {
      type: 'object',
      properties: Object.fromEntries(names.map((n) => [n, shape[n].json])),
      required,
      additionalProperties: opts.open ?? false,
      ...(opts.description ? { description: opts.description } : {}),
      ...(opts.example !== undefined ? { examples: [opts.example] } : {}),
    },
    parse(value, path) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw fieldError(path, `a JSON object with fields ${names.join(', ')}`, value);
      }
      const record = value as Record<string, unknown>;
      const unknown = opts.open ? undefined : Object.keys(record).find((key) => !Object.hasOwn(shape, key));
      if (unknown !== undefined) {
        throw new BadRequestError(`${path} has no field ${JSON.stringify(unknown)}: the fields are ${names.join(', ')}`, 'unknown_field');
      }
      const missing = required.find((n) => record[n] === undefined);
      if (missing !== undefined) {
        throw new BadRequestError(`${path}.${missing} is missing (required: ${required.join(', ')})`, 'missing_field');
      }
      const out: Record<string, unknown> = opts.open ? { ...record } : {};
      for (const n of names) out[n] = shape[n].parse(record[n], `${path}.${n}`);
      return out as ObjectOf<S>;
    },
  };
}

/** Exactly this value (`"ok": true`). */
export function literal<T extends string | number | boolean>(value: T, description?: string): Schema<T> {
  return {
    json: { const: value, ...(description ? { description } : {}) },
    parse(v, path) {
      if (v !== value) throw fieldError(path, JSON.stringify(value), v);
      return value;
    },
  };
}

/** One of a fixed set of strings. */
export function oneOf<T extends string>(values: readonly T[], description?: string): Schema<T> {
  return {
    json: { type: 'string', enum: [...values], ...(description ? { description } : {}) },
    parse(value, path) {
      if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) throw fieldError(path, `one of ${values.join(', ')}`, value);
      return value as T;
    },
  };
}

/** A string matching `pattern` (anchored), described to the client as `expected`. */
export function text(opts: { pattern: RegExp; expected: string; maxLength: number; description?: string }): Schema<string> {
  const { pattern, expected, maxLength, description } = opts;
  return {
    json: { type: 'string', pattern: pattern.source, maxLength, ...(description ? { description } : {}) },
    parse(value, path) {
      if (typeof value !== 'string' || value.length > maxLength || !pattern.test(value)) throw fieldError(path, expected, value);
      return value;
    },
  };
}

import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { BadRequestError } from '../../shared/errors.js';
import type { Schema } from '../../shared/api/schema.js';

/** Request bodies are a few ids (1,000 pairs of short ids is ~25 KB): anything larger is a mistake or abuse. */
export const MAX_BODY_BYTES = 64 * 1024;

/** 413 in the JSON envelope, before the body is parsed (hono/body-limit counts bytes as they stream in). */
export const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: (c) =>
    c.json(
      { error: { code: 'body_too_large', message: `the request body is larger than ${MAX_BODY_BYTES} bytes: send fewer ids per request` } },
      413,
    ),
});

/**
 * The body parsed as JSON and validated by `schema`. The Content-Type is not checked (curl -d sends a form type by
 * default); what is not JSON is a 400 bad_json, what has the wrong shape a 400 naming the field.
 */
export async function readBody<T>(c: Context, schema: Schema<T>): Promise<T> {
  const text = await c.req.text();
  if (text.trim() === '') {
    throw new BadRequestError('the request body is empty: send a JSON object (see GET /openapi.json for its fields)', 'bad_json');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new BadRequestError(`the request body is not valid JSON: ${(e as Error).message}`, 'bad_json');
  }
  return schema.parse(value, 'body');
}

import { NotFoundError } from '../../shared/errors.js';
import type { IdIndex } from '../../shared/model/ids.js';

/** The index of an id read from a body field; a 404 naming the field (`body.pairs[3][1]`) and the id otherwise. */
export function indexAt(index: IdIndex, id: string, model: string, field: string): number {
  if (!index.has(id)) {
    throw new NotFoundError(`${field}: ${index.kind} ${JSON.stringify(id)} is not in model ${JSON.stringify(model)}`, `unknown_${index.kind}`);
  }
  return index.indexOf(id, model);
}

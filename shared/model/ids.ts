import { BadRequestError, NotFoundError } from '../errors.js';

/** Original ids <-> contiguous indices. */
export class IdIndex {
  private readonly byId: Map<string, number>;
  constructor(
    readonly kind: 'item' | 'user' | 'tag',
    readonly ids: readonly string[],
  ) {
    this.byId = new Map(ids.map((id, i) => [id, i]));
  }

  get size(): number {
    return this.ids.length;
  }

  /** Index of an original id, or a 404 that names it. */
  indexOf(id: string, model: string): number {
    const i = this.byId.get(id);
    if (i === undefined) {
      throw new NotFoundError(`${this.kind} ${JSON.stringify(id)} is not in model ${JSON.stringify(model)}`, `unknown_${this.kind}`);
    }
    return i;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }
}

/** Ids come from URLs: printable, bounded. Anything else is a 400 before any lookup. */
export function checkId(kind: string, id: string): string {
  if (id.length === 0 || id.length > 256 || /[\u0000-\u001f\u007f]/.test(id)) {
    throw new BadRequestError(
      `${kind} id ${JSON.stringify(id.slice(0, 80))} is malformed: ids are 1..256 printable characters`,
      `bad_${kind}_id`,
    );
  }
  return id;
}

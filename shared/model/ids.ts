import { BadRequestError, NotFoundError } from '../errors.js';
import { StringTable } from '../artifact/strings.js';

/**
 * Original ids <-> contiguous indices, over a compact string table (shared/artifact/strings.ts): a lookup encodes the
 * id once and binary-searches the table's sorted order over the UTF-8 bytes; no Map of every id is built.
 */
export class IdIndex {
  readonly table: StringTable;
  private materialised: readonly string[] | undefined;

  constructor(
    readonly kind: 'item' | 'user' | 'tag',
    ids: StringTable | readonly string[],
  ) {
    this.table = ids instanceof StringTable ? ids : StringTable.from(ids);
  }

  get size(): number {
    return this.table.size;
  }

  /** The original id of index i (decoded now). */
  id(i: number): string {
    return this.table.get(i);
  }

  /** Every id as a JS string, built on first use and kept: for tools and tests, never on a request path. */
  get ids(): readonly string[] {
    return (this.materialised ??= this.table.all());
  }

  /** Index of an original id, or a 404 that names it. */
  indexOf(id: string, model: string): number {
    const i = this.table.indexOf(id);
    if (i < 0) {
      throw new NotFoundError(`${this.kind} ${JSON.stringify(id)} is not in model ${JSON.stringify(model)}`, `unknown_${this.kind}`);
    }
    return i;
  }

  has(id: string): boolean {
    return this.table.indexOf(id) >= 0;
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

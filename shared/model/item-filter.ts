/**
 * Which items an answer may contain: an optional allow-list (items carrying any of the requested tags) and a
 * deny-list (ids the caller excludes). Built once per request in JS; applied as a mask (rankItems) or after topk
 * (topKWhere).
 */
export interface ItemFilter {
  /** Indices of items that carry at least one requested tag; undefined: every item passes the tag test. */
  allowed?: ReadonlySet<number>;
  excluded: ReadonlySet<number>;
}

export function passes(filter: ItemFilter, index: number): boolean {
  return !filter.excluded.has(index) && (filter.allowed === undefined || filter.allowed.has(index));
}

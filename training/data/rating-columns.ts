import { UsageError } from '../options.js';

/** What a column of a ratings CSV holds; `skip` is read past (`-` in --columns). */
export const ColumnRole = { user: 'user', item: 'item', rating: 'rating', timestamp: 'timestamp', skip: 'skip' } as const;
export type ColumnRole = (typeof ColumnRole)[keyof typeof ColumnRole];

/**
 * Header names each role answers to, compared lower-cased with `_`, `-`, `.` and spaces removed (so `userId`,
 * `user_id` and `User ID` are one name). The usual exports: MovieLens (userId, movieId), Amazon (reviewerID, asin),
 * Book-Crossing (User-ID, ISBN, Book-Rating), anime and Steam dumps, Spark/implicit tutorials (user, item, rating).
 */
const NAMES: Record<Exclude<ColumnRole, 'skip'>, readonly string[]> = {
  user: ['user', 'userid', 'uid', 'users', 'customer', 'customerid', 'reviewer', 'reviewerid', 'member', 'memberid', 'visitor', 'visitorid', 'account', 'accountid'],
  item: ['item', 'itemid', 'iid', 'items', 'movie', 'movieid', 'product', 'productid', 'asin', 'isbn', 'book', 'bookid', 'anime', 'animeid', 'game', 'gameid', 'appid', 'track', 'trackid', 'artist', 'artistid', 'song', 'songid', 'video', 'videoid', 'article', 'articleid'],
  rating: ['rating', 'ratings', 'score', 'stars', 'star', 'rate', 'value', 'preference', 'bookrating', 'overall'],
  timestamp: ['timestamp', 'time', 'ts', 'unixtime', 'unixtimestamp', 'unixreviewtime', 'epoch', 'datetime'],
};

const normalise = (name: string) => name.trim().toLowerCase().replace(/[\s_.-]+/g, '');

const BY_NAME = new Map<string, ColumnRole>(Object.entries(NAMES).flatMap(([role, names]) => names.map((n) => [n, role as ColumnRole])));

/** The role a header name stands for, or undefined. */
export function roleOfHeader(name: string): ColumnRole | undefined {
  return BY_NAME.get(normalise(name));
}

/** What a message says the header may name. */
export const EXPECTED_HEADER = `a user column (${NAMES.user.slice(0, 3).join(', ')}, ...), an item column (item, itemId, movieId, ...), a rating column (${NAMES.rating.slice(0, 3).join(', ')}, ...) and optionally a timestamp`;

/** Column index of each role; timestamp may be absent. */
export interface ColumnMap {
  user: number;
  item: number;
  rating: number;
  timestamp?: number;
  /** How many fields each record has. */
  width: number;
}

/**
 * Roles of the header's columns by name. An unknown name, a role named twice or a missing user, item or rating column is
 * a string saying what was found and what was expected (the caller makes it a DataError at line 1).
 */
export function mapHeader(header: string[]): ColumnMap | string {
  const roles = header.map(roleOfHeader);
  const unknown = header.filter((_, i) => roles[i] === undefined);
  if (unknown.length) {
    return `the header names ${unknown.map((u) => JSON.stringify(u.trim())).join(', ')}, which is not a column this reader knows; expected ${EXPECTED_HEADER} (or --columns to say which is which, - for a column to skip)`;
  }
  return mapRoles(roles as ColumnRole[], header.map((h) => JSON.stringify(h.trim())));
}

/** Roles in file order (from --columns, or a header) -> column indices, or what is wrong with them. */
export function mapRoles(roles: readonly ColumnRole[], names: readonly string[] = roles): ColumnMap | string {
  const at: Partial<Record<ColumnRole, number>> = {};
  for (const [i, r] of roles.entries()) {
    if (r === 'skip') continue;
    if (at[r] !== undefined) return `both ${names[at[r]!]} and ${names[i]} are a ${r} column; name one of them (or --columns to choose)`;
    at[r] = i;
  }
  const missing = (['user', 'item', 'rating'] as const).filter((r) => at[r] === undefined);
  if (missing.length) return `no ${missing.join(' or ')} column among ${names.join(', ')}; expected ${EXPECTED_HEADER}`;
  return { user: at.user!, item: at.item!, rating: at.rating!, ...(at.timestamp !== undefined ? { timestamp: at.timestamp } : {}), width: roles.length };
}

/** `--columns rating,user,item` (or `user,item,-,rating`): the role of each column in file order. */
export function parseColumns(value: string | undefined): ColumnRole[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((s) => s.trim().toLowerCase());
  const roles = parts.map((p) => (p === '-' ? ColumnRole.skip : (Object.values(ColumnRole) as string[]).includes(p) && p !== 'skip' ? (p as ColumnRole) : undefined));
  const bad = parts.find((_, i) => roles[i] === undefined);
  if (bad !== undefined) {
    throw new UsageError(`--columns lists each column of the file in order as user, item, rating, timestamp or - (skip), got ${JSON.stringify(bad)} in ${JSON.stringify(value)}`);
  }
  const mapped = mapRoles(roles as ColumnRole[]);
  if (typeof mapped === 'string') throw new UsageError(`--columns ${JSON.stringify(value)}: ${mapped}`);
  return roles as ColumnRole[];
}

/** The reader settings a command's raw option values carry (`--columns`, and `--test` for the held-out file), for loadDataset. */
export function readOptions(raw: Record<string, string | boolean | undefined>): { columns?: ColumnRole[]; test?: string } {
  const columns = parseColumns(raw.columns as string | undefined);
  const test = typeof raw.test === 'string' ? raw.test : undefined;
  return { ...(columns ? { columns } : {}), ...(test !== undefined ? { test } : {}) };
}

import { basename } from 'node:path';

/** Longest excerpt of an offending line quoted in a message; the full line stays in `content`. */
const MAX_QUOTED = 200;

function quote(content: string): string {
  const excerpt = content.length > MAX_QUOTED ? `${content.slice(0, MAX_QUOTED)}...` : content;
  return JSON.stringify(excerpt);
}

/**
 * A problem with an input data file. Line-level problems carry the 1-based line number and the line's text, so the
 * message alone is enough to find and fix the line; file-level problems (empty file, missing companion file) leave
 * `line` and `content` undefined.
 */
export class DataError extends Error {
  override readonly name = 'DataError';

  constructor(
    /** The path as given to the reader. */
    readonly file: string,
    readonly line: number | undefined,
    readonly content: string | undefined,
    /** What was wrong, e.g. `expected 4 tab-separated fields (user, item, rating, timestamp), got 3`. */
    readonly problem: string,
    /** How to fix it, when there is something useful to say. */
    readonly hint?: string,
  ) {
    const where = line === undefined ? basename(file) : `${basename(file)} line ${line}`;
    const what = content === undefined ? problem : `${problem}: ${quote(content)}`;
    super(`${where}: ${what}${hint ? ` (${hint})` : ''}`);
  }
}

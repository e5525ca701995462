/**
 * Option values as the pipelines read them (from the CLI, a tune search or a test): validated, with errors that name
 * the option, the value and the allowed range. No command-line parsing here: that is training/cli/args.ts.
 */

/** Thrown for bad command lines; the CLI prints its message as one line and exits 2. */
export class UsageError extends Error {}

export function intOption(name: string, value: string | undefined, fallback: number, min = 1, max = 1e9): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

export function numberOption(name: string, value: string | undefined, fallback: number, min = 0, max = Infinity): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** One of `choices` (an `as const` object's values), or `fallback` when unset. */
export function choiceOption<T extends string>(name: string, value: string | undefined, choices: Record<string, T>, fallback: T): T {
  if (value === undefined) return fallback;
  const allowed = Object.values(choices);
  if (!allowed.includes(value as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

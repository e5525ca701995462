/**
 * Comparing secrets without a timing side channel, for any route that ever needs one (an admin route must check a
 * token set with `wrangler secret put`; the Worker has no such route today). A plain `a === b` returns at the first
 * differing character, so response times tell an attacker how much of a guess was right.
 */

/**
 * True when the byte arrays are equal, reading every byte of both whatever the contents (no early exit). Arrays
 * of different lengths are unequal; their lengths are not secret here (secretsEqual compares fixed-size digests).
 */
export function bytesEqualConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/**
 * True when `presented` equals `expected`. Both are hashed with SHA-256 first, so the comparison always covers 32
 * bytes and leaks neither where a guess went wrong nor the secret's length. An empty or absent expected secret is
 * an error rather than a match: a forgotten `wrangler secret put` must not leave a route open.
 */
export async function secretsEqual(presented: string | null | undefined, expected: string | undefined): Promise<boolean> {
  if (!expected) {
    throw new Error('no secret is configured for this route: set one with `npx wrangler secret put <NAME>`');
  }
  const encode = (s: string) => crypto.subtle.digest('SHA-256', new TextEncoder().encode(s));
  const [p, e] = await Promise.all([encode(presented ?? ''), encode(expected)]);
  return bytesEqualConstantTime(new Uint8Array(p), new Uint8Array(e));
}

/** Hex sha256 through WebCrypto, which both Node (>= 19) and workerd expose as globalThis.crypto. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return hexOf(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** Lower-case hex of a digest. */
export function hexOf(digest: ArrayBuffer): string {
  const hex: string[] = [];
  for (const b of new Uint8Array(digest)) hex.push(b.toString(16).padStart(2, '0'));
  return hex.join('');
}

// The Worker's checksum of tensors.bin: sha256 through Workers' crypto.DigestStream, written in chunks with a pause
// between them, so that requests queued during a large load are answered while it is verified (a single
// crypto.subtle.digest call over a 1M-item tensors.bin holds the isolate's thread for ~80 ms).

import { hexOf, sha256Hex } from '../shared/artifact/sha256.js';

const CHUNK = 8 << 20;

// Workers' non-standard constructor (the root tsconfig's DOM Crypto type, merged with Node's, does not declare it).
type DigestStreamClass = new (algorithm: string) => WritableStream<ArrayBufferView> & { readonly digest: Promise<ArrayBuffer> };

export async function sha256InSteps(bytes: Uint8Array, pause: () => Promise<void>, chunk = CHUNK): Promise<string> {
  const { DigestStream } = crypto as unknown as { DigestStream?: DigestStreamClass };
  // The app tests that run this module in Node (app.request, no workerd) have WebCrypto without the Workers extension.
  if (!DigestStream) return sha256Hex(bytes);
  const stream = new DigestStream('SHA-256');
  const writer = stream.getWriter();
  for (let at = 0; at < bytes.byteLength; at += chunk) {
    await writer.write(bytes.subarray(at, Math.min(bytes.byteLength, at + chunk)));
    if (at + chunk < bytes.byteLength) await pause();
  }
  await writer.close();
  return hexOf(await stream.digest);
}

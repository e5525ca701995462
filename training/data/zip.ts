import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';

/**
 * A minimal zip reader (stored and deflated entries, no zip64, no encryption, single disk): enough for the
 * GroupLens archives without adding a dependency. Entries are found through the central directory, which holds
 * the sizes even when the local headers defer them to a data descriptor.
 */

export interface ZipEntry {
  /** Path inside the archive, "/"-separated; directories end with "/". */
  name: string;
  isDirectory: boolean;
  data: Buffer;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

export class ZipError extends Error {
  override readonly name = 'ZipError';
}

function findEndOfCentralDirectory(buf: Buffer): number {
  const last = buf.length - EOCD_SIZE;
  const first = Math.max(0, last - MAX_COMMENT);
  for (let p = last; p >= first; p--) if (buf.readUInt32LE(p) === EOCD_SIGNATURE) return p;
  throw new ZipError(`not a zip archive: no end-of-central-directory record in the last ${MAX_COMMENT + EOCD_SIZE} bytes (truncated download?)`);
}

/** Rejects absolute paths and ".." segments, which would let an archive write outside the target folder. */
function checkEntryName(name: string): void {
  const parts = name.split(/[\\/]/);
  if (isAbsolute(name) || /^[a-zA-Z]:/.test(name) || parts.includes('..')) {
    throw new ZipError(`refusing entry ${JSON.stringify(name)}: it points outside the extraction folder`);
  }
}

export function readZip(bytes: Uint8Array): ZipEntry[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < EOCD_SIZE) throw new ZipError(`not a zip archive: only ${buf.length} bytes`);
  const eocd = findEndOfCentralDirectory(buf);
  const disk = buf.readUInt16LE(eocd + 4);
  const count = buf.readUInt16LE(eocd + 10);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (disk !== 0) throw new ZipError('multi-disk zip archives are not supported');
  if (count === 0xffff || cdOffset === 0xffffffff) throw new ZipError('zip64 archives are not supported');

  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL_SIGNATURE) throw new ZipError(`corrupt zip: central directory entry ${k} not found at byte ${p}`);
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    const compressedSize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLength = buf.readUInt16LE(p + 28);
    const extraLength = buf.readUInt16LE(p + 30);
    const commentLength = buf.readUInt16LE(p + 32);
    const localOffset = buf.readUInt32LE(p + 42);
    // Bit 11 marks UTF-8 names; older archives use CP437, which agrees with latin-1 on the ASCII names used here.
    const name = buf.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLength);
    p += 46 + nameLength + extraLength + commentLength;

    checkEntryName(name);
    if (flags & 0x1) throw new ZipError(`entry ${name} is encrypted, which is not supported`);
    if (localOffset + 30 > buf.length || buf.readUInt32LE(localOffset) !== LOCAL_SIGNATURE) throw new ZipError(`corrupt zip: local header of ${name} not found at byte ${localOffset}`);
    const start = localOffset + 30 + buf.readUInt16LE(localOffset + 26) + buf.readUInt16LE(localOffset + 28);
    if (start + compressedSize > buf.length) throw new ZipError(`corrupt zip: ${name} runs past the end of the archive (truncated download?)`);
    const raw = buf.subarray(start, start + compressedSize);

    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) data = inflateRawSync(raw);
    else throw new ZipError(`entry ${name} uses compression method ${method}; only 0 (stored) and 8 (deflate) are supported`);
    if (data.length !== size) throw new ZipError(`corrupt zip: ${name} inflated to ${data.length} bytes, expected ${size}`);
    if (crc32(data) !== crc) throw new ZipError(`corrupt zip: CRC-32 mismatch in ${name}`);
    entries.push({ name, isDirectory: name.endsWith('/'), data });
  }
  return entries;
}

/** Extracts every entry under `destDir`; returns the paths of the files written. */
export async function extractZip(bytes: Uint8Array, destDir: string): Promise<string[]> {
  const root = resolve(destDir);
  const written: string[] = [];
  for (const entry of readZip(bytes)) {
    const target = resolve(join(root, entry.name));
    const rel = relative(root, target);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new ZipError(`refusing entry ${JSON.stringify(entry.name)}: it points outside ${root}`);
    if (entry.isDirectory) {
      await mkdir(target, { recursive: true });
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, entry.data);
    written.push(target);
  }
  return written;
}

// A zip writer for tests: local headers, central directory, end record, as the zip spec lays them out. The data
// readers (training/data/zip.ts, the .npz reader) are tested on archives it writes.
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  data?: Uint8Array;
  /** Stored uncompressed (directories always are); otherwise deflated. */
  store?: boolean;
}

export interface ZipOptions {
  /** The archive comment after the end record (readers must skip it). Default none. */
  comment?: string;
  /** Set the UTF-8 name flag (general purpose bit 11), as most zip tools do; numpy.savez does not. Default true. */
  utf8Names?: boolean;
}

export function buildZip(entries: ZipEntry[], opts: ZipOptions = {}): Buffer {
  const { comment = '', utf8Names = true } = opts;
  const flags = utf8Names ? 0x800 : 0;
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data = Buffer.alloc(0), store } of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const stored = store || name.endsWith('/');
    const body = stored ? Buffer.from(data) : deflateRawSync(data);
    const method = stored ? 0 : 8;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, body);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const commentBytes = Buffer.from(comment);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(commentBytes.length, 20);
  return Buffer.concat([...locals, cd, end, commentBytes]);
}

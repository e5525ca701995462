import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeArtifact, type DecodedArtifact } from '../../shared/artifact/decode.js';
import { packArtifact } from '../../shared/artifact/encode.js';
import { ARTIFACT_FILES, type ItemsFile, type Manifest } from '../../shared/artifact/schema.js';

export interface ArtifactParts {
  manifest: Manifest;
  tensors: Uint8Array;
  items: ItemsFile;
}

export interface WrittenSizes {
  manifest: number;
  tensors: number;
  items: number;
  /** Of `tensors`, the bytes of the catalogue blocks (ids, titles, tags, seen lists) rather than weights. */
  catalog: number;
}

/**
 * Writes manifest.json + tensors.bin + items.json; the manifest last, so a partial write is never mistaken for done.
 * The catalogue (a.items) is packed into tensors.bin as the format's blocks (packArtifact), and the manifest's tensor
 * table, checksum and byte count follow.
 */
export async function writeArtifact(dir: string, a: ArtifactParts): Promise<WrittenSizes> {
  await mkdir(dir, { recursive: true });
  const packed = await packArtifact(a.manifest, a.tensors, a.items);
  await writeFile(join(dir, ARTIFACT_FILES.tensors), packed.tensors);
  await writeFile(join(dir, ARTIFACT_FILES.items), packed.itemsText);
  await writeFile(join(dir, ARTIFACT_FILES.manifest), packed.manifestText);
  return {
    manifest: Buffer.byteLength(packed.manifestText),
    tensors: packed.tensors.byteLength,
    items: Buffer.byteLength(packed.itemsText),
    catalog: packed.tensors.byteLength - a.tensors.byteLength,
  };
}

/** Reads and validates an artifact folder with the same decoder the Worker uses. */
export async function readArtifact(dir: string): Promise<DecodedArtifact> {
  const [manifest, tensors, items] = await Promise.all([
    readFile(join(dir, ARTIFACT_FILES.manifest), 'utf8'),
    readFile(join(dir, ARTIFACT_FILES.tensors)),
    readFile(join(dir, ARTIFACT_FILES.items), 'utf8'),
  ]);
  return decodeArtifact(manifest, new Uint8Array(tensors.buffer, tensors.byteOffset, tensors.byteLength), items);
}

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeArtifact, type DecodedArtifact } from '../../shared/artifact/decode.js';
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
}

/** Writes manifest.json + tensors.bin + items.json; the manifest last, so a partial write is never mistaken for done. */
export async function writeArtifact(dir: string, a: ArtifactParts): Promise<WrittenSizes> {
  await mkdir(dir, { recursive: true });
  const items = JSON.stringify(a.items);
  const manifest = JSON.stringify(a.manifest, null, 2);
  await writeFile(join(dir, ARTIFACT_FILES.tensors), a.tensors);
  await writeFile(join(dir, ARTIFACT_FILES.items), items);
  await writeFile(join(dir, ARTIFACT_FILES.manifest), manifest);
  return { manifest: Buffer.byteLength(manifest), tensors: a.tensors.byteLength, items: Buffer.byteLength(items) };
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

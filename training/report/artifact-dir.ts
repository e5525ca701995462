import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DecodedArtifact } from '../../shared/artifact/decode.js';
import { ARTIFACT_FILES } from '../../shared/artifact/schema.js';
import { readArtifact } from '../export/artifact-files.js';

/** readArtifact, with a message that says what a folder lacks instead of a bare ENOENT. */
export async function readArtifactDir(dir: string): Promise<DecodedArtifact> {
  const missing = Object.values(ARTIFACT_FILES).filter((f) => !existsSync(join(dir, f)));
  if (missing.length) {
    throw new Error(`${resolve(dir)} is not an artifact folder (no ${missing.join(', ')}): pass the --out folder of npm run train`);
  }
  return readArtifact(dir);
}

import { BadRequestError } from './errors.js';

/**
 * Keys in the model bucket. Versions are immutable folders; CURRENT is the only key that is ever overwritten.
 *   <model>/<version>/manifest.json | tensors.bin | items.json
 *   <model>/CURRENT      (text: the live version)
 */
export const registryKeys = {
  current: (model: string) => `${model}/CURRENT`,
  file: (model: string, version: string, file: string) => `${model}/${version}/${file}`,
};

const MODEL_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkModelName(name: string): string {
  if (!MODEL_NAME.test(name)) {
    throw new BadRequestError(
      `model name ${JSON.stringify(name.slice(0, 80))} is malformed: use 1..64 of a-z, 0-9, '-' or '_', starting with a letter or digit`,
      'bad_model_name',
    );
  }
  return name;
}

export function isVersion(v: string): boolean {
  return VERSION.test(v);
}

/** A sortable, unique version name: UTC time to the second plus the first 8 hex digits of the tensors' sha256. */
export function versionName(createdAt: Date, sha256: string): string {
  const t = createdAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${t}-${sha256.slice(0, 8)}`;
}

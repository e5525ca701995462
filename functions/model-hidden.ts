// Items hidden without retraining (<model>/HIDDEN): read beside CURRENT, applied to every version a slot loads, and
// part of every answer's version (so hiding changes ETags).
import type { LoadedModel } from '../shared/model/loaded.js';
import { fnv1a64 } from '../shared/etag.js';
import { parseHidden, registryKeys } from '../shared/registry.js';
import type { Env } from './env.js';
import type { Slot } from './model-slots.js';

/**
 * Reads <model>/HIDDEN into the slot. Absent: nothing hidden. Unreadable or malformed: the previous list stays
 * (a bad write must neither take answers down nor un-hide what was hidden) and /healthz says why.
 */
export async function readHidden(env: Env, name: string, slot: Slot): Promise<void> {
  try {
    const obj = await env.MODELS.get(registryKeys.hidden(name));
    slot.hiddenIds = obj ? parseHidden(await obj.text()).items : [];
    slot.hiddenProblem = undefined;
  } catch (e) {
    slot.hiddenProblem = `${registryKeys.hidden(name)} was not applied: ${(e as Error).message}`;
    console.error(`edgerec: ${slot.hiddenProblem}`);
  }
}

const hiddenTags = new WeakMap<LoadedModel, string>();

/** Hidden ids the model knows become its hidden set; ids of items it does not have are ignored. */
export function applyHidden(model: LoadedModel, ids: readonly string[]): void {
  const known = ids.filter((id) => model.items.has(id));
  model.hidden = new Set(known.map((id) => model.items.indexOf(id, model.name)));
  hiddenTags.set(model, known.length ? fnv1a64([...known].sort().join('\n')).slice(0, 8) : '');
}

/**
 * What an answer from `model` depends on besides the request: its version and, when items are hidden, the hidden
 * set. Routes record it as modelVersion, so hiding an item changes every ETag (and widget cache key) of the model.
 */
export function answerVersion(model: LoadedModel): string {
  const tag = hiddenTags.get(model);
  return tag ? `${model.version}+hidden.${tag}` : model.version;
}

// The model store's per-isolate state: one slot per model name (and one per split variant), and the use order the
// memory budget evicts by.
import type { LoadedModel } from '../shared/model/loaded.js';
import type { SplitFile } from '../shared/split.js';

export interface Live {
  version: string;
  model: LoadedModel;
  loadedAt: string;
  loadMs: number;
  /**
   * Where loadMs went (npm run bench reads them from /healthz). Local figures only: deployed, a Worker's clock
   * advances on I/O alone, so the CPU-bound phases read 0 there.
   */
  phases: { r2Ms: number; decodeMs: number; uploadMs: number };
}

export interface Slot {
  live?: Live;
  /** When CURRENT was last read (ms since epoch). */
  checkedAt: number;
  refreshing?: Promise<void>;
  failed?: { version: string; message: string; at: string; code?: string };
  /** Ids in <model>/HIDDEN when last read (applied to every version this slot loads). */
  hiddenIds: string[];
  /** Why the last HIDDEN read was not applied, if it was not. */
  hiddenProblem?: string;
  /** Use order (a counter, not a clock: no ties): the least recently used model is evicted first. */
  lastUsed: number;
  /** Requests that waited for a load (nothing was live): the first, and any after an eviction or a refusal. */
  waited: number;
  /** Set when the memory budget evicted the live version; the next request loads it again. */
  evicted?: { version: string; residentBytes: number; at: string };
  /** <model>/SPLIT when last read (undefined: none); why it was not applied, if it was not. */
  split?: SplitFile;
  splitProblem?: string;
  /** A slot holding one fixed version (a split's variant), keyed `<model>@<version>`: it never reads CURRENT. */
  pinned?: { model: string; version: string };
}

/** Per-isolate cache: one slot per model name, holding the live version's tensors. */
export const slots = new Map<string, Slot>();

let useClock = 0;

/** The next tick of the use order (a counter, not a clock: no ties). */
export function nextUse(): number {
  return ++useClock;
}

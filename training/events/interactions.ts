// Events as training data: one row per (user or visitor, item) in the generic user,item,rating,timestamp CSV that
// `npm run train` reads (training/data/ratings-csv.ts).
import { writeFile } from 'node:fs/promises';
import type { StoredEvent } from '../../shared/events.js';

/** What a pair without a rating is worth, on the 1..5 scale of the demo and MovieLens (README, "Events out"). */
export const DEFAULT_WEIGHTS = { click: 4, view: 3 } as const;
export type Weights = { click: number; view: number };

export interface Interaction {
  user: string;
  item: string;
  value: number;
  /** Unix seconds of the pair's latest event. */
  timestamp: number;
}

export interface InteractionsSummary {
  rows: Interaction[];
  /** Events that count for training (clicks, views, ratings with a user or visitor). */
  used: number;
  /** Impressions (not interactions: they feed the click-through report only). */
  impressions: number;
  /** Clicks, views and ratings with neither a user nor a visitor. */
  anonymous: number;
}

/** Visitors are users to the trainer; the prefix keeps a visitor id from meeting a user id of the same spelling. */
export const VISITOR_PREFIX = 'visitor:';

const eventTime = (e: StoredEvent) => Date.parse(e.at ?? e.received);

/**
 * One row per (user, item): the latest rating when the pair has one; otherwise `weights.click` if it was clicked,
 * else `weights.view`. Rows come sorted by user then item, so the file is the same for the same events.
 */
export function toInteractions(events: readonly StoredEvent[], weights: Weights = DEFAULT_WEIGHTS): InteractionsSummary {
  const pairs = new Map<string, { user: string; item: string; rating?: { value: number; t: number }; clicked: boolean; t: number }>();
  let used = 0;
  let impressions = 0;
  let anonymous = 0;
  for (const e of events) {
    if (e.type === 'impression') {
      impressions++;
      continue;
    }
    const user = e.user ?? (e.visitor !== undefined ? `${VISITOR_PREFIX}${e.visitor}` : undefined);
    if (user === undefined) {
      anonymous++;
      continue;
    }
    used++;
    const t = eventTime(e);
    const key = JSON.stringify([user, e.item]);
    const p = pairs.get(key) ?? { user, item: e.item, clicked: false, t };
    p.t = Math.max(p.t, t);
    if (e.type === 'click') p.clicked = true;
    if (e.type === 'rating' && (!p.rating || t >= p.rating.t)) p.rating = { value: e.value!, t };
    pairs.set(key, p);
  }
  const rows = [...pairs.values()]
    .map((p) => ({ user: p.user, item: p.item, value: p.rating?.value ?? (p.clicked ? weights.click : weights.view), timestamp: Math.floor(p.t / 1000) }))
    .sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : a.item < b.item ? -1 : a.item > b.item ? 1 : 0));
  return { rows, used, impressions, anonymous };
}

/** RFC 4180 quoting where a field needs it (ids may hold commas or quotes). */
function field(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function writeInteractionsCsv(file: string, rows: readonly Interaction[]): Promise<void> {
  const lines = ['user,item,rating,timestamp', ...rows.map((r) => `${field(r.user)},${field(r.item)},${r.value},${r.timestamp}`)];
  await writeFile(file, lines.join('\n') + '\n');
}

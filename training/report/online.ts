// The report's "Online metrics" section: impressions, clicks and CTR per A/B variant from an events folder
// (npm run events -- --model <name> --save <dir>), the same figures as npm run events -- --report.
import { UsageError } from '../options.js';
import { ctrByVariant, type VariantCtr } from '../events/ctr.js';
import { folderBucket, folderModels } from '../events/folder.js';
import { readEvents } from '../events/read.js';
import { escapeHtml, note, section } from './html.js';

export interface OnlineMetrics {
  model: string;
  events: number;
  objects: number;
  duplicates: number;
  variants: VariantCtr[];
}

/** Reads `dir`'s events of `model` (the folder's only model when not given). */
export async function readOnlineMetrics(dir: string, model?: string): Promise<OnlineMetrics> {
  const models = await folderModels(dir);
  const name = model ?? (models.length === 1 ? models[0] : undefined);
  if (name === undefined) {
    throw new UsageError(
      models.length === 0
        ? `${dir} holds no events (its events/ folder is empty)`
        : `${dir} holds events of ${models.length} models (${models.join(', ')}): say which with --events-model <name>`,
    );
  }
  if (!models.includes(name)) throw new UsageError(`${dir} has no events of model ${JSON.stringify(name)}; it has ${models.join(', ') || 'none'}`);
  const read = await readEvents(folderBucket(dir), name);
  return { model: name, events: read.events.length, objects: read.objects, duplicates: read.duplicates, variants: ctrByVariant(read.events) };
}

export function onlineSection(o: OnlineMetrics): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const rows = o.variants
    .map(
      (v) =>
        `<tr><td>${escapeHtml(v.variant)}</td><td>${v.impressions.toLocaleString('en')}</td><td>${v.clicks.toLocaleString('en')}</td>` +
        `<td>${v.ctr === null ? '–' : pct(v.ctr)}</td><td>${v.ci95 ? `${pct(v.ci95[0])} – ${pct(v.ci95[1])}` : '–'}</td></tr>`,
    )
    .join('');
  const table = o.variants.length
    ? `<table><thead><tr><th>variant</th><th>impressions</th><th>clicks</th><th>CTR</th><th>95% interval (Wilson)</th></tr></thead><tbody>${rows}</tbody></table>`
    : note('No impressions or clicks among these events.');
  const from = `${o.events.toLocaleString('en')} events of model ${escapeHtml(JSON.stringify(o.model))} from ${o.objects} stored objects${o.duplicates ? ` (${o.duplicates} repeated lines of retried messages dropped)` : ''}`;
  return section('online', 'Online metrics (events from the Worker)', `<p>${from}. A click counts for the variant its answer named; "(none)" is traffic without a split.</p>${table}`);
}

import type { Manifest } from '../../shared/artifact/schema.js';
import type { ChartHtml } from './charts.js';
import type { SimilarTable } from './similarity.js';

/** The page's building blocks: plain strings, every value from the artifact or data escaped. */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const fmt = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : Math.abs(x) >= 1000 ? x.toFixed(0) : x.toFixed(4));
const signed = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : (x >= 0 ? '+' : '−') + Math.abs(x).toFixed(4));

/** Every metric the manifest holds: the float model, the quantised artifact with its delta, and each baseline. */
export function metricsTable(metrics: Manifest['metrics']): string {
  const baselines = Object.keys(metrics.baselines ?? {});
  const names = [...new Set([...Object.keys(metrics.float ?? {}), ...Object.keys(metrics.quantized ?? {})])];
  const head = ['metric', 'model (float)', 'artifact (quantised)', 'quantised − float', ...baselines.map((b) => `baseline: ${b.replace(/_/g, ' ')}`)];
  const rows = names.map((m) => {
    const f = metrics.float?.[m];
    const q = metrics.quantized?.[m];
    const cells = [fmt(f), fmt(q), signed(typeof f === 'number' && typeof q === 'number' ? q - f : undefined), ...baselines.map((b) => fmt(metrics.baselines[b]?.[m]))];
    return `<tr><th>${escapeHtml(m)}</th>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return `<table class="metrics"><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function factsList(facts: [string, string][]): string {
  return `<dl class="facts">${facts.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')}</dl>`;
}

/** One chart: `data-chart` names it (the browser test checks every named chart drew its marks). */
export function chartBlock(id: string, title: string, chart: ChartHtml, caption: string): string {
  return `<figure class="chart" data-chart="${escapeHtml(id)}"><h3>${escapeHtml(title)}</h3>${chart}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

export function note(text: string): string {
  return `<p class="note">${escapeHtml(text)}</p>`;
}

export function similarTablesHtml(tables: SimilarTable[]): string {
  const tags = (t?: string[]) => escapeHtml((t ?? []).join(', '));
  return tables
    .map(
      (t) =>
        `<table class="similar"><caption>${escapeHtml(t.item.title)} <span class="id">id ${escapeHtml(t.item.id)} · ${tags(t.item.tags)} · ${t.ratings} training ratings</span></caption>` +
        `<thead><tr><th>#</th><th>similar item</th><th>tags</th><th>cosine</th><th>ratings</th></tr></thead><tbody>` +
        t.rows
          .map((r, k) => `<tr><td>${k + 1}</td><td>${escapeHtml(r.item.title)}</td><td>${tags(r.item.tags)}</td><td>${r.score.toFixed(3)}</td><td>${r.ratings}</td></tr>`)
          .join('') +
        `</tbody></table>`,
    )
    .join('');
}

export function section(id: string, title: string, body: string): string {
  return `<section id="${escapeHtml(id)}"><h2>${escapeHtml(title)}</h2>${body}</section>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:0;background:#f6f6f4}
main{max-width:1240px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 10px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:14px;margin:0 0 6px}
.sub{color:#666;margin:0 0 16px}
.facts{display:flex;flex-wrap:wrap;gap:6px 22px;margin:0}.facts div{display:flex;gap:6px}.facts dt{color:#777}.facts dd{margin:0;font-weight:600}
table{border-collapse:collapse;background:#fff;margin:0 0 14px}th,td{padding:4px 10px;border-bottom:1px solid #eee;text-align:left;font-variant-numeric:tabular-nums}
table.metrics td{text-align:right}thead th{background:#fafafa;font-weight:600}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}
.grid.maps{grid-template-columns:repeat(auto-fill,minmax(370px,1fr))}
.chart{background:#fff;border:1px solid #e4e4e0;border-radius:6px;padding:12px;margin:0}
.chart figcaption{color:#666;font-size:12px;margin-top:6px}
.chart svg{max-width:100%;height:auto}
.note{background:#fff7e0;border:1px solid #f0dca0;border-radius:6px;padding:8px 12px}
table.similar caption{text-align:left;font-weight:600;padding:6px 0}table.similar .id{font-weight:400;color:#777}
.tables{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:0 16px}
footer{color:#888;font-size:12px;margin-top:32px}
`;

/** The whole page: one file, CSS inline, no script, nothing fetched. */
export function page(title: string, subtitle: string, body: string, footer: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${escapeHtml(title)}</title><style>${CSS}</style></head><body><main>` +
    `<h1>${escapeHtml(title)}</h1><p class="sub">${escapeHtml(subtitle)}</p>${body}<footer>${escapeHtml(footer)}</footer></main></body></html>\n`
  );
}

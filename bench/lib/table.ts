// Markdown tables: the same text goes to the console and to BENCHMARKS.md.

export type Cell = string | number | null | undefined;

export interface Table {
  title: string;
  headers: string[];
  rows: Cell[][];
  /** Lines printed under the table: how it was measured, what was skipped and why. */
  notes?: string[];
}

export function formatCell(c: Cell): string {
  if (c === null || c === undefined || (typeof c === 'number' && Number.isNaN(c))) return '–';
  if (typeof c === 'string') return c;
  if (Number.isInteger(c)) return String(c);
  const a = Math.abs(c);
  // Three significant digits, without exponent notation for the ranges the bench produces.
  if (a >= 100) return c.toFixed(0);
  if (a >= 10) return c.toFixed(1);
  if (a >= 1) return c.toFixed(2);
  if (a >= 0.01) return c.toFixed(3);
  return c.toPrecision(2);
}

export function renderTable(t: Table): string {
  const cells = t.rows.map((r) => r.map(formatCell));
  const widths = t.headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  const out = [`### ${t.title}`, '', line(t.headers), '|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|'];
  for (const r of cells) out.push(line(t.headers.map((_, i) => r[i] ?? '')));
  if (t.notes?.length) out.push('', ...t.notes.map((n) => `- ${n}`));
  return out.join('\n') + '\n';
}

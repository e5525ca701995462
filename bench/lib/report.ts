// BENCHMARKS.md: the latest full run's tables, with the command, date and machine, and what the targets were.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from '../../test/helpers/worker.js';
import type { BenchContext } from './context.js';
import type { machineInfo } from './machine.js';
import { renderTable, type Cell, type Table } from './table.js';

interface StoredPart {
  command: string;
  date: string;
  quick: boolean;
  tables?: Table[];
  summary?: Record<string, unknown>;
}

export async function writeBenchmarksMd(
  ctx: BenchContext,
  partNames: string[],
  o: { command: string; machine: ReturnType<typeof machineInfo>; seconds: number },
): Promise<void> {
  const m = o.machine;
  const sections: string[] = [];
  const summaries: Record<string, unknown>[] = [];
  for (const name of partNames) {
    const done = ctx.done[name];
    if (done) {
      sections.push(`## ${name}`, '', ...done.tables.map(renderTable));
      summaries.push(done.summary ?? {});
      continue;
    }
    const file = path.join(REPO_ROOT, 'bench/results', `${name}.json`);
    const stored = existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as StoredPart) : null;
    if (!stored?.tables || stored.quick) {
      sections.push(`## ${name}`, '', '_Not measured yet: run `npm run bench`._', '');
      continue;
    }
    sections.push(`## ${name}`, '', `_From an earlier run: \`${stored.command}\` at ${stored.date}._`, '', ...stored.tables.map(renderTable));
    summaries.push(stored.summary ?? {});
  }
  const lines = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (bench/run.ts): the tables of each part come from one run, measured side by side on one',
    'machine. `npm run bench -- --quick` is a reduced run (under 3 minutes) that writes bench/results/ only.',
    '',
    `- command: \`${o.command}\``,
    `- date: ${new Date().toISOString()}`,
    `- machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; load average at start ${m.loadAverage.join(' / ')} (the machine is shared with other work: expect noise, compare within a table)`,
    `- run time: ${Math.round(o.seconds)} s`,
    '- raw results: bench/results/<part>.json; headline figures under stable keys: bench/results/summary.json',
    '',
    '## Targets',
    '',
    renderTable(targets(Object.assign({}, ...summaries))),
  ];
  const history = path.join(REPO_ROOT, 'bench/history.md');
  if (existsSync(history)) lines.push((await readFile(history, 'utf8')).trim(), '');
  lines.push(...sections);
  await writeFile(path.join(REPO_ROOT, 'BENCHMARKS.md'), lines.join('\n'));
}

type Summary = Record<string, unknown>;

/** The targets against this run's figures (medians on this machine). */
function targets(sum: Summary): Table {
  const at = (key: string, k: string) => (sum[key] as Record<string, number | null> | undefined)?.[k] ?? null;
  const rows: Cell[][] = [];
  const row = (what: string, target: string, measured: number | string | null, ok: boolean | null) =>
    rows.push([what, target, measured === null ? 'not run' : measured, ok === null ? '–' : ok ? 'met' : 'not met']);
  for (const [n, limit] of [['10000', 0.15], ['60000', 0.6]] as const) {
    const v = at('similar_ms', n);
    row(`similar items compute, ${Number(n) / 1000}k items (workerd, wasm)`, `<= ${limit} ms`, v === null ? null : `${v} ms (CPU ${at('similar_cpu_ms', n) ?? '–'} ms)`, v === null ? null : v <= limit);
  }
  const http = sum.http as { healthz_p50_ms?: number; similar_p50_ms?: number } | undefined;
  if (http?.healthz_p50_ms && http.similar_p50_ms) {
    const ratio = http.similar_p50_ms / http.healthz_p50_ms;
    row('HTTP p50 similar 10k / p50 /healthz', '<= 1.5x', `${http.similar_p50_ms} / ${http.healthz_p50_ms} ms = ${ratio.toFixed(2)}x`, ratio <= 1.5);
  } else row('HTTP p50 similar 10k / p50 /healthz', '<= 1.5x', null, null);
  const swapRatio = (sum.ratios as Record<string, number> | undefined)?.swap_p99_vs_steady ?? null;
  row('p99 during swaps / steady p99, same load (swap part)', '<= 2x', swapRatio === null ? null : `${swapRatio}x`, swapRatio === null ? null : swapRatio <= 2);
  for (const [n, limit] of [['10000', 40], ['60000', 120]] as const) {
    const v = at('cold_start_ms', n);
    row(`cold start to first answer, ${Number(n) / 1000}k items, int8`, `<= ${limit} ms`, v === null ? null : `${v} ms`, v === null ? null : v <= limit);
  }
  const maxItems = sum.max_items_128mb as number | null | undefined;
  row('250k x 64 catalogue inside 128 MB per isolate', 'fits', maxItems == null ? null : `est. ${maxItems.toLocaleString('en')} items fit`, maxItems == null ? null : maxItems >= 250_000);
  const exact = at('similar_ms', '250000');
  const ivf = at('ivf_similar_ms', '250000');
  const recall = at('ivf_recall_at_10', '250000');
  row('similar items at 250k', '<= 3 ms', exact === null && ivf === null ? null : `exact ${exact ?? '–'} ms; with the coarse index ${ivf ?? '–'} ms`, exact === null && ivf === null ? null : (exact ?? Infinity) <= 3 || (ivf ?? Infinity) <= 3);
  row('coarse index recall@10 vs exact (250k synthetic / ml-100k)', '>= 0.95', recall === null ? null : `${recall} / ${at('ivf_recall_at_10', 'ml-100k') ?? '–'}`, recall === null ? null : recall >= 0.95 && (at('ivf_recall_at_10', 'ml-100k') ?? 1) >= 0.95);
  const ts = sum.train_epoch_s as Record<string, Record<string, number>> | undefined;
  const torch = sum.pytorch_epoch_s as Record<string, Record<string, number>> | undefined;
  for (const kind of ['mf', 'bpr']) {
    for (const ds of Object.keys(ts?.[kind] ?? {})) {
      const a = ts![kind][ds];
      const b = torch?.[kind]?.[ds];
      row(`${kind} epoch on ${ds}: TS vs PyTorch at the same batch (1)`, '<= PyTorch', b === undefined ? `${a} s (no PyTorch figure)` : `${a} s vs ${b} s`, b === undefined ? null : a <= b);
    }
  }
  return {
    title: 'Targets of the benchmark issue against this run',
    headers: ['what', 'target', 'measured', ''],
    rows,
    notes: ['Medians of this run on this shared 2-core machine; see each part for its noise. Quality at equal epochs is in the training table.'],
  };
}

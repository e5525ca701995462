import { join } from 'node:path';
import { Progress, progressMode } from '../cli/progress.js';
import { writeReport } from './build.js';

export interface RunReportOptions {
  artifactDir: string;
  data?: string;
  format?: string;
  /** Default <artifactDir>/report.html. */
  out?: string;
  mapItems?: number;
  tsneIterations?: number;
  /** An events folder and, when it holds several, the model whose events to show. */
  events?: { dir: string; model?: string };
  /** Plain progress lines only (no redrawn bar), as for --json. */
  json?: boolean;
  /** The command's log: stage lines in CI, notes and the summary always. */
  log: (line: string) => void;
}

/** The report step as the CLIs run it, with progress on stderr: `npm run report` and `npm run train -- --report`. */
export async function runReport(o: RunReportOptions) {
  const out = o.out ?? join(o.artifactDir, 'report.html');
  const progress = new Progress({ mode: progressMode({ json: o.json }), unit: 'report', count: false, total: 100, print: o.log });
  const result = await writeReport({
    artifactDir: o.artifactDir,
    data: o.data,
    format: o.format,
    out,
    mapItems: o.mapItems,
    tsneIterations: o.tsneIterations,
    events: o.events,
    onProgress: (fraction, stage) => progress.update(Math.round(fraction * 100), { stage }),
    onStage: (stage, seconds, detail) => progress.print(`report: ${stage} ${seconds.toFixed(2)}s (${detail})`),
  });
  progress.finish();
  for (const n of result.notes) o.log(`note: ${n}`);
  o.log(`wrote ${out} (${(result.bytes / 1024).toFixed(0)} KiB, ${result.charts.length} charts) in ${result.seconds.total.toFixed(1)}s`);
  return result;
}

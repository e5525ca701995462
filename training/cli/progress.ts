/**
 * Progress for long commands. On a terminal (stderr is a TTY) one line is redrawn in place: a bar, the step,
 * the figures that matter (loss) and an ETA. In CI (CI set), with --json, or when stderr is a file or a pipe,
 * nothing is redrawn: the caller's plain lines are printed instead, one per step, so logs stay readable.
 */

export type ProgressMode = 'bar' | 'lines';

export interface ProgressEnv {
  json?: boolean;
  stream?: { isTTY?: boolean };
  env?: Record<string, string | undefined>;
}

/** 'bar' only for a person watching a terminal. */
export function progressMode({ json = false, stream = process.stderr, env = process.env }: ProgressEnv = {}): ProgressMode {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI.toLowerCase() !== 'false';
  return json || ci || !stream.isTTY ? 'lines' : 'bar';
}

export type Fields = Record<string, string | number | undefined>;

export interface ProgressOptions {
  mode: ProgressMode;
  /** What one step is called ('epoch'). */
  unit: string;
  /** False: show the bar and percentage but not "12/80" (for progress counted in percent). Default true. */
  count?: boolean;
  /** Steps expected; unknown totals show no bar and no ETA. */
  total?: number;
  /** Where the bar is drawn (stderr). */
  stream?: { write(s: string): unknown; columns?: number };
  /** Where plain lines go (the command's log). */
  print: (line: string) => void;
  now?: () => number;
}

export class Progress {
  private readonly start: number;
  private readonly now: () => number;
  private drawn = false;
  private lastDraw = -Infinity;
  private last = '';

  constructor(private readonly o: ProgressOptions) {
    this.now = o.now ?? (() => performance.now());
    this.start = this.now();
  }

  /**
   * Step `done` (of `total`) finished. Bar mode redraws (at most 10 times a second, and always on the last
   * step); lines mode prints `line` when one is given, so callers choose what a log line says.
   */
  update(done: number, fields: Fields = {}, line?: string): void {
    if (this.o.mode === 'lines') {
      if (line !== undefined) this.o.print(line);
      return;
    }
    const now = this.now();
    const final = this.o.total !== undefined && done >= this.o.total;
    this.last = formatBar({ unit: this.o.unit, count: this.o.count, done, total: this.o.total, elapsed: (now - this.start) / 1000, fields, width: this.o.stream?.columns });
    if (final || now - this.lastDraw >= 100) {
      this.draw(this.last);
      this.lastDraw = now;
    }
  }

  /** A log line while a bar may be on screen: clear the bar, print, draw the bar again. */
  print(line: string): void {
    if (this.drawn) this.stream().write('\r\x1b[2K');
    this.drawn = false;
    this.o.print(line);
    if (this.o.mode === 'bar' && this.last) this.draw(this.last);
  }

  /** Leaves the last bar on screen and moves to the next line. */
  finish(): void {
    if (this.drawn) this.stream().write('\n');
    this.drawn = false;
    this.last = '';
  }

  private draw(text: string): void {
    this.stream().write(`\r\x1b[2K${text}`);
    this.drawn = true;
  }

  private stream() {
    return this.o.stream ?? process.stderr;
  }
}

export interface BarState {
  unit: string;
  count?: boolean;
  done: number;
  total?: number;
  elapsed: number;
  fields?: Fields;
  /** Terminal width; the text is cut to fit. */
  width?: number;
}

/** `epoch 12/80 [######------------------]  15%  loss 0.8123  valid 0.9011  ETA 4s` */
export function formatBar(s: BarState): string {
  const parts: string[] = [];
  const known = s.total !== undefined && s.total > 0;
  const fraction = known ? Math.min(1, s.done / s.total!) : 0;
  if (s.count === false) parts.push(s.unit);
  else parts.push(known ? `${s.unit} ${s.done}/${s.total}` : `${s.unit} ${s.done}`);
  if (known) {
    const cells = 24;
    const full = Math.round(fraction * cells);
    parts.push(`[${'#'.repeat(full)}${'-'.repeat(cells - full)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`);
  }
  for (const [k, v] of Object.entries(s.fields ?? {})) {
    if (v !== undefined) parts.push(`${k} ${typeof v === 'number' ? formatNumber(v) : v}`);
  }
  if (known && fraction >= 1) parts.push(`done in ${formatDuration(s.elapsed)}`);
  else if (known && fraction > 0) parts.push(`ETA ${formatDuration((s.elapsed / fraction) * (1 - fraction))}`);
  else parts.push(`${formatDuration(s.elapsed)} elapsed`);
  const text = parts.join('  ');
  return s.width && text.length > s.width - 1 ? text.slice(0, s.width - 1) : text;
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
}

/** 4s, 1m05s, 2h03m. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';

export interface Bounded {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  timedOut: boolean;
  /** Peak resident set of the command, from GNU time (null when /usr/bin/time is missing). */
  peakRssBytes: number | null;
}

/**
 * Runs a command in its own process group under /usr/bin/time (peak RSS) and kills that group if it outlives
 * `timeoutMs`: a stuck trainer must not stall the whole bench.
 */
export async function runBounded(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number; rssFile: string }): Promise<Bounded> {
  const t0 = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%M', '-o', opts.rssFile, cmd, ...args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-20_000)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }, opts.timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  let peakRssBytes: number | null = null;
  try {
    const kb = Number((await readFile(opts.rssFile, 'utf8')).trim().split('\n').pop());
    peakRssBytes = Number.isFinite(kb) ? kb * 1024 : null;
    await rm(opts.rssFile, { force: true });
  } catch {
    // GNU time wrote nothing (killed).
  }
  return { code, stdout, stderr, seconds: (performance.now() - t0) / 1000, timedOut, peakRssBytes };
}

/** The last line of stdout parsed as JSON (the contract of `train --json` and of the PyTorch scripts). */
export function lastJson<T>(stdout: string): T | null {
  const line = stdout.trim().split('\n').pop();
  if (!line) return null;
  try {
    return JSON.parse(line) as T;
  } catch {
    return null;
  }
}

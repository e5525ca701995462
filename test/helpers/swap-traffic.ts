// The swap bench's traffic against one Worker: checked requests from a few connections, bursts on a fixed schedule,
// CURRENT moved between two versions, and /healthz memory polled throughout (bench/swap-under-load.ts runs it).
import { bucketOverR2 } from '../../training/publish/local-bucket.js';
import { publishArtifact } from '../../training/publish/publish.js';
import { rollback } from '../../training/publish/registry-ops.js';
import { registryKeys } from '../../shared/registry.js';
import type { StartedWorker } from './worker.js';
import { same, type Answer, type Query } from './swap-answers.js';

export interface Memory {
  numTensors: number;
  numBytes: number;
}

export interface Health {
  memory: Memory;
  modelMemory?: { peakResidentBytes: number };
  models: { model: string; version: string; residentBytes: number; waited?: number }[];
}

export interface TrafficSetup {
  worker: StartedWorker;
  bucket: ReturnType<typeof bucketOverR2>;
  /** The artifact folders of versions A (published) and B (published by the first move, or by publishAhead). */
  dirs: string[];
  vA: string;
  qs: Query[];
  /** Each query's answer from A and from B. */
  expected: [Answer[], Answer[]];
  distDir: string;
  connections: number;
  swapEveryMs: number;
  burst: number;
  moves: 'registry' | 'pointer';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SwapTraffic {
  requests = 0;
  failed = 0;
  wrong = 0;
  burstRequests = 0;
  swaps = 0;
  readonly byVersion: Record<string, number> = {};
  /** The first few failures, for the report. */
  readonly failures: string[] = [];
  vB = '';
  private live: string;
  private latencies: number[] = [];

  constructor(private readonly s: TrafficSetup) {
    this.live = s.vA;
  }

  get vA(): string {
    return this.s.vA;
  }

  fail(what: string): void {
    if (this.failures.length < 10) this.failures.push(what);
  }

  async health(): Promise<Health> {
    const h = (await (await this.s.worker.fetch('/healthz')).json()) as Omit<Health, 'memory'> & { memory?: Memory };
    if (!h.memory) throw new Error(`/healthz has no memory figures: is ${this.s.distDir} a bundle of this tree? (${JSON.stringify(h).slice(0, 200)})`);
    return h as Health;
  }

  private expectedFor(version: string): Answer[] | undefined {
    return version === this.s.vA ? this.s.expected[0] : version === this.vB ? this.s.expected[1] : undefined;
  }

  /**
   * One checked request; resolves to the version that answered (undefined on a failure). `timed`: its latency
   * counts in the phase's percentiles (the polls that wait for a swap to show do not, so both phases' percentiles
   * are over the same mix: the connections' requests and the bursts).
   */
  async one(j: number, timed = true): Promise<string | undefined> {
    const q = this.s.qs[j % this.s.qs.length];
    const t0 = performance.now();
    this.requests++;
    try {
      const res = await this.s.worker.fetch(q.path, q.body ? { method: 'POST', body: q.body, headers: { 'content-type': 'application/json' } } : undefined);
      const text = await res.text();
      if (timed) this.latencies.push(performance.now() - t0);
      if (res.status !== 200) {
        this.failed++;
        this.fail(`${q.method} ${q.path} -> ${res.status} ${text.slice(0, 200)}`);
        return undefined;
      }
      const body = JSON.parse(text) as Record<string, unknown>;
      const version = body.version as string;
      const expected = this.expectedFor(version);
      this.byVersion[version] = (this.byVersion[version] ?? 0) + 1;
      if (!expected || !same(q.read(body), expected[j % this.s.qs.length])) {
        this.wrong++;
        this.fail(`${q.method} ${q.path} -> version ${JSON.stringify(version)}: ${text.slice(0, 300)}`);
      }
      return version;
    } catch (e) {
      this.failed++;
      this.fail(`${q.method} ${q.path} -> ${(e as Error).message}`);
      return undefined;
    }
  }

  /**
   * Requests from the connections plus a burst every swapEveryMs; with `moving`, CURRENT moves before each burst.
   * The number of bursts is fixed by ms / swapEveryMs (not by how many fit before a deadline), so a steady and a
   * swapping phase carry the same load on any machine. After each move a request loop runs beside the load until
   * an answer names the new version (the Worker loads it in the background), so every counted move is a swap seen.
   */
  async phase(ms: number, moving = false): Promise<{ latencies: number[]; samples: Memory[]; seconds: number }> {
    const { connections, swapEveryMs, burst: burstSize, vA } = this.s;
    this.latencies = [];
    const t0 = performance.now();
    let stop = false;
    const loops = Array.from({ length: connections }, async (_, c) => {
      for (let j = c * 7; !stop; j++) await this.one(j);
    });
    const samples: Memory[] = [];
    const poller = (async () => {
      while (!stop) {
        samples.push((await this.health()).memory);
        await sleep(20);
      }
    })();
    const observed: Promise<void>[] = [];
    const bursts = Math.max(1, Math.floor(ms / swapEveryMs) - 1);
    for (let b = 1; b <= bursts; b++) {
      await sleep(swapEveryMs);
      if (moving) await this.move();
      observed.push(this.seen(this.live));
      const burst = Array.from({ length: burstSize }, (_, k) => this.one(b * 1000 + k));
      this.burstRequests += moving ? burstSize : 0;
      await Promise.all(burst);
    }
    await Promise.all(observed);
    if (moving && this.live !== vA) {
      await this.move();
      await this.seen(vA);
    }
    stop = true;
    await Promise.all([...loops, poller]);
    return { latencies: this.latencies, samples, seconds: (performance.now() - t0) / 1000 };
  }

  /**
   * Requests go on until one is answered by `version` (bounded by a count, not a time): the Worker loads a new
   * version in the background, so a move is only a swap once an answer shows it.
   */
  async seen(version: string): Promise<void> {
    for (let j = 0; j < 20_000; j++) if ((await this.one(j, false)) === version) return;
    this.fail(`version ${version} never answered after CURRENT moved to it`);
  }

  /** Moves CURRENT to the other version: the first move to B publishes it, later ones roll back (or write CURRENT). */
  async move(): Promise<void> {
    const { bucket, dirs, vA } = this.s;
    const to = this.live === vA ? 'B' : 'A';
    if (to === 'B' && !this.vB) this.vB = (await publishArtifact(bucket, dirs[1], 'swap')).version;
    else if (this.s.moves === 'pointer') await this.s.worker.bucket.put(registryKeys.current('swap'), to === 'A' ? vA : this.vB);
    else await rollback(bucket, 'swap', to === 'A' ? vA : this.vB);
    this.live = to === 'A' ? vA : this.vB;
    this.swaps++;
  }

  /** B is uploaded (and verified) now, outside the measured phases; the Worker goes on answering from A. */
  async publishAhead(): Promise<void> {
    this.vB = (await publishArtifact(this.s.bucket, this.s.dirs[1], 'swap')).version;
    await rollback(this.s.bucket, 'swap', this.s.vA);
    await this.seen(this.s.vA);
  }
}

import type { EpochReport } from './epoch-report.js';
import { allFinite, DivergenceError } from './divergence.js';

/** What one epoch's work measured while it ran: at least the training loss, in the model's own units. */
export interface EpochWork {
  trainLoss: number;
  [metric: string]: number;
}

export interface EpochLoop {
  /** The model's name, as a divergence message gives it. */
  model: string;
  epochs: number;
  /** The first epoch's step size; 0 for trainers without one (ALS). */
  lr: number;
  /** Multiplies the step size after every epoch (1: constant). */
  lrDecay?: number;
  /** Runs one epoch at step size `lr`; its wall time is the epoch's `seconds`. */
  work: (epoch: number, lr: number) => EpochWork;
  /** The tables that must stay finite, by name; checked after every epoch. */
  weights: () => Record<string, Float32Array>;
  /** Figures measured after the epoch, outside its timing (validation loss, nDCG, ...). */
  measure?: (epoch: number) => Record<string, number>;
  onEpoch?: (report: EpochReport) => void;
}

/**
 * The loop every trainer shares: timed work, a divergence check that names the broken tables and the step size,
 * validation figures outside the timing, the caller's per-epoch hook, then the step-size decay.
 */
export function runEpochs(loop: EpochLoop): EpochReport[] {
  const reports: EpochReport[] = [];
  let lr = loop.lr;
  for (let epoch = 1; epoch <= loop.epochs; epoch++) {
    const t0 = performance.now();
    const work = loop.work(epoch, lr);
    const seconds = (performance.now() - t0) / 1000;
    checkFinite(loop, epoch, work.trainLoss, lr);
    const report: EpochReport = { epoch, seconds, ...work, ...loop.measure?.(epoch) };
    reports.push(report);
    loop.onEpoch?.(report);
    lr *= loop.lrDecay ?? 1;
  }
  return reports;
}

function checkFinite(loop: EpochLoop, epoch: number, trainLoss: number, lr: number): void {
  const broken = Object.entries(loop.weights())
    .filter(([, w]) => !allFinite(w))
    .map(([name]) => name);
  if (Number.isFinite(trainLoss) && broken.length === 0) return;
  const what = broken.length ? `non-finite ${broken.join(' and ')}, ` : '';
  throw new DivergenceError(loop.model, epoch, `${what}train loss ${trainLoss}`, lr);
}

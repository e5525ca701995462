/** One epoch's figures; every trainer reports at least these. Losses are the model's own (MSE for mf). */
export interface EpochReport {
  epoch: number;
  seconds: number;
  trainLoss: number;
  validLoss?: number;
  [metric: string]: number | undefined;
}

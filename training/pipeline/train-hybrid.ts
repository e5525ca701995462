import type { SearchSpace } from './rating-kind.js';
import { neuralKind, type NeuralVariant } from './neural-kind.js';
import { ratingPipeline } from './rating-pipeline.js';

/**
 * Notebook 004's hybrid model: user and item vectors (dropout 0.3) concatenated with item metadata (quantile-
 * transformed popularity and release year, genres multi-hot) -> Dense(64, relu) -> dropout -> Dense(64, relu)
 * -> dropout -> Dense(1). 004 trains with MAE; the default here is MSE because the model is judged on RMSE.
 *
 * Dropouts, widths, step size and L2 are the best of `npm run tune -- --model hybrid --data ml-100k --split u1
 * --trials 12 --seed 42` (validation: a seeded 10% of u1.base; u1.test is never read): valid RMSE 0.9202 against
 * 0.9242 for 004's own (dropout 0.3 / 0.3, 64-64, lr 0.001, L2 1e-5).
 */
export const HYBRID_DEFAULTS: NeuralVariant['defaults'] = {
  dim: 64,
  epochs: 10,
  batch: 256,
  lr: 0.00103,
  lrDecay: 1,
  l2: 2.05e-6,
  hidden: [128, 64],
  dropoutInput: 0.4,
  dropoutHidden: 0.3,
  initScale: 0.05,
  loss: 'mse',
};

export const HYBRID_SPACE: SearchSpace = {
  'dropout-input': { type: 'float', min: 0.1, max: 0.5, step: 0.1 },
  'dropout-hidden': { type: 'float', min: 0.1, max: 0.5, step: 0.1 },
  hidden: { type: 'choice', values: ['32,32', '64,64', '128,64'] },
  lr: { type: 'float', min: 3e-4, max: 3e-3, log: true },
  l2: { type: 'float', min: 1e-6, max: 1e-3, log: true },
};

export const hybridKind = neuralKind({
  kind: 'hybrid',
  summary: "notebook 004's hybrid: user, item vectors and item metadata (popularity, year, genres) -> 64 -> 64 -> 1",
  defaults: HYBRID_DEFAULTS,
  features: true,
  classes: false,
  space: HYBRID_SPACE,
});

export const hybridPipeline = ratingPipeline(hybridKind);

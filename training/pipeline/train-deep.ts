import { neuralKind } from './neural-kind.js';
import { ratingPipeline } from './rating-pipeline.js';

/**
 * Notebook 001's deep model: concat(user, item) -> Dropout -> Dense(relu) -> Dropout(0.75) -> Dense(1), 50 factors,
 * L2 1e-4 on the embeddings, Adam, 8 epochs, batch 256 (the notebook's 64 makes four times the wasm calls per epoch
 * for the same RMSE; bench/dense-head.ts).
 *
 * The input dropout, hidden width and step size are the best of `npm run tune -- --model deep --data ml-100k --split
 * u1 --trials 12 --seed 42` (validation: a seeded 10% of u1.base; u1.test is never read): valid RMSE 0.9417 against
 * 0.9448 for the notebook's own (dropout 0.3, 70 units, lr 0.001).
 */
export const deepKind = neuralKind({
  kind: 'deep',
  summary: "notebook 001's deep model: concat(user, item) -> dropout -> dense relu -> dropout -> dense(1)",
  defaults: {
    dim: 50,
    epochs: 8,
    batch: 256,
    lr: 0.000414,
    lrDecay: 1,
    l2: 1e-4,
    hidden: [64],
    dropoutInput: 0.1,
    dropoutHidden: 0.75,
    initScale: 0.05,
    loss: 'mse',
  },
  features: false,
  classes: false,
  // Notebook 004's keras-tuner space (dropout 0.1..0.5 step 0.1, width 32..64 step 32), plus the step size.
  space: {
    'dropout-input': { type: 'float', min: 0.1, max: 0.5, step: 0.1 },
    hidden: { type: 'int', min: 32, max: 128, step: 32 },
    lr: { type: 'float', min: 3e-4, max: 3e-3, log: true },
  },
});

export const deepPipeline = ratingPipeline(deepKind);

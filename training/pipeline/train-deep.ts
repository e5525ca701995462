import { neuralKind } from './neural-kind.js';
import { ratingPipeline } from './rating-pipeline.js';

/**
 * Notebook 001's deep model: concat(user, item) -> Dropout(0.3) -> Dense(70, relu) -> Dropout(0.75) -> Dense(1),
 * 50 factors, L2 1e-4 on the embeddings, Adam 0.001. Batch 256 rather than the notebook's 64: on ml-100k u1 both
 * reached 0.946 RMSE by epoch 8, and 256 makes a quarter of the wasm calls per epoch (bench/dense-head.ts).
 */
export const deepKind = neuralKind({
  kind: 'deep',
  summary: "notebook 001's deep model: concat(user, item) -> dropout -> dense relu -> dropout -> dense(1)",
  defaults: {
    dim: 50,
    epochs: 8,
    batch: 256,
    lr: 0.001,
    lrDecay: 1,
    l2: 1e-4,
    hidden: [70],
    dropoutInput: 0.3,
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

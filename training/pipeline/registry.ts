import type { ModelPipeline } from './kinds.js';
import { mfPipeline } from './train-mf.js';

/** Every model kind `npm run train --model` knows. A new kind adds its pipeline here. */
export const PIPELINES: Record<string, ModelPipeline> = {
  [mfPipeline.kind]: mfPipeline,
};

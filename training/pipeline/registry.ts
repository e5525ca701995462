import type { ModelPipeline } from './kinds.js';
import { mfPipeline } from './train-mf.js';
import { bprPipeline } from './train-bpr.js';
import { ialsPipeline } from './train-ials.js';
import { itemTagPipeline } from './train-itemtag.js';
import { probePipeline } from './train-probe.js';
import { classifyPipeline } from './train-classify.js';
import { deepPipeline } from './train-deep.js';
import { hybridPipeline } from './train-hybrid.js';
import { svdppPipeline } from './train-svdpp.js';
import { bmfPipeline } from './train-bmf.js';

/** Every model kind `npm run train --model` knows. A new kind adds its pipeline here. */
export const PIPELINES: Record<string, ModelPipeline> = {
  [mfPipeline.kind]: mfPipeline,
  [bprPipeline.kind]: bprPipeline,
  [ialsPipeline.kind]: ialsPipeline,
  [itemTagPipeline.kind]: itemTagPipeline,
  [probePipeline.kind]: probePipeline,
  [svdppPipeline.kind]: svdppPipeline,
  [deepPipeline.kind]: deepPipeline,
  [hybridPipeline.kind]: hybridPipeline,
  [classifyPipeline.kind]: classifyPipeline,
  [bmfPipeline.kind]: bmfPipeline,
};

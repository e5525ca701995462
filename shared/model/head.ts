import * as tf from '@tensorflow/tfjs-core';
import type { DecodedTensor } from '../artifact/decode.js';
import { HeadActivation, HeadInput, type HeadSpec } from '../artifact/schema.js';
import { ArtifactError } from '../errors.js';

/** The artifact tensor holding per-item metadata features [N, f] that a head reads. */
export const ITEM_FEATURES_TENSOR = 'item_features';

/**
 * A dense head (deep, hybrid, classify) resident in tfjs memory.
 *
 * The first layer is split by input: x @ K = user @ K_user + (item @ K_item + features @ K_features). The item
 * side does not depend on the user, so it is computed once at load ([N, h1]); scoring all N items for a user is
 * then one [1, d] x [d, h1] product, a broadcast add and the remaining layers, instead of a [N, 2d + f] input.
 * Only tf.* functions are called: chained tensor methods are not registered in the Worker bundle.
 */
export interface LoadedHead {
  spec: HeadSpec;
  /** [N, h1]: item @ K_item + item_features @ K_features + b1, before the first activation. */
  itemPart: tf.Tensor2D;
  /** [d, h1]: the first layer's kernel rows that multiply the user vector. */
  userKernel: tf.Tensor2D;
  firstActivation: HeadActivation;
  /** Layers after the first. */
  layers: { kernel: tf.Tensor2D; bias: tf.Tensor1D; activation: HeadActivation }[];
  /** [K, 1] rating value of each class, for a `classes` head. */
  classValues?: tf.Tensor2D;
  /** Every tensor above, for dispose and memory accounting. */
  held: tf.Tensor[];
}

/** Validates the head against the artifact's tensors and uploads it; `itemFactors` is the [N, d] row-major table. */
export function loadHead(
  spec: HeadSpec,
  tensors: Map<string, DecodedTensor>,
  userDim: number,
  itemFactors: Float32Array,
  nItems: number,
  itemDim: number,
): LoadedHead {
  checkInputs(spec);
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) throw new ArtifactError('head has no layers');
  const features = spec.inputs.includes(HeadInput.itemFeatures) ? tensors.get(ITEM_FEATURES_TENSOR) : undefined;
  if (spec.inputs.includes(HeadInput.itemFeatures)) {
    if (!features || features.shape.length !== 2 || features.shape[0] !== nItems) {
      throw new ArtifactError(`head reads item_features, but the artifact's ${ITEM_FEATURES_TENSOR} tensor is ${features ? `[${features.shape}]` : 'missing'}; it needs [${nItems}, f]`);
    }
  }
  const width: Record<HeadInput, number> = { user: userDim, item: itemDim, item_features: features?.shape[1] ?? 0 };
  const kernels = spec.layers.map((l, k) => {
    if (!(l.activation in HeadActivation)) throw new ArtifactError(`head layer ${k}: unknown activation ${JSON.stringify(l.activation)}`);
    if (l.activation === HeadActivation.softmax && k !== spec.layers.length - 1) {
      throw new ArtifactError(`head layer ${k}: softmax is only allowed on the last layer`);
    }
    const kernel = tensorOf(tensors, l.kernel, 2, `head layer ${k} kernel`);
    const bias = tensorOf(tensors, l.bias, 1, `head layer ${k} bias`);
    if (bias.shape[0] !== kernel.shape[1]) {
      throw new ArtifactError(`head layer ${k}: bias ${l.bias} is [${bias.shape}], its kernel ${l.kernel} [${kernel.shape}] needs [${kernel.shape[1]}]`);
    }
    return { kernel, bias, activation: l.activation };
  });
  const inWidth = spec.inputs.reduce((s, i) => s + width[i], 0);
  kernels.forEach((l, k) => {
    const need = k === 0 ? inWidth : kernels[k - 1].kernel.shape[1];
    if (l.kernel.shape[0] !== need) {
      const what = k === 0 ? `the inputs ${spec.inputs.join(' + ')} (${spec.inputs.map((i) => width[i]).join(' + ')})` : `layer ${k - 1}'s outputs`;
      throw new ArtifactError(`head layer ${k}: kernel is [${l.kernel.shape}], ${what} need ${need} rows`);
    }
  });
  const last = kernels[kernels.length - 1];
  const out = last.kernel.shape[1];
  let classValues: tf.Tensor2D | undefined;
  if (spec.output?.type === 'classes') {
    const values = spec.output.values;
    if (!Array.isArray(values) || values.length < 2 || values.some((v) => !Number.isFinite(v)) || values.length !== out || last.activation !== HeadActivation.softmax) {
      throw new ArtifactError(`head output: ${JSON.stringify(values)} as class values needs a softmax last layer with as many outputs (it has ${out}, ${last.activation})`);
    }
    classValues = tf.tensor2d(values, [values.length, 1]);
  } else if (spec.output?.type === 'regression') {
    if (out !== 1 || last.activation === HeadActivation.softmax) {
      throw new ArtifactError(`head output: regression needs a last layer of 1 output without softmax, found ${out} (${last.activation})`);
    }
  } else {
    throw new ArtifactError(`head output type ${JSON.stringify((spec.output as { type?: unknown })?.type)} is not regression or classes`);
  }

  // Row blocks of the first kernel, in input order (row-major [in, h1]: each block is a contiguous range).
  const first = kernels[0];
  const h1 = first.kernel.shape[1];
  const block: Partial<Record<HeadInput, Float32Array>> = {};
  let row = 0;
  for (const input of spec.inputs) {
    block[input] = first.kernel.data.subarray(row * h1, (row + width[input]) * h1);
    row += width[input];
  }
  const itemPart = tf.tidy(() => {
    let part = tf.matMul(tf.tensor2d(itemFactors, [nItems, itemDim]), tf.tensor2d(block.item!, [itemDim, h1]));
    if (features) part = tf.add(part, tf.matMul(tf.tensor2d(features.data, [nItems, width.item_features]), tf.tensor2d(block.item_features!, [width.item_features, h1])));
    return tf.add(part, tf.tensor1d(first.bias.data)) as tf.Tensor2D;
  });
  const userKernel = tf.tensor2d(block.user!, [userDim, h1]);
  const layers = kernels.slice(1).map((l) => ({
    kernel: tf.tensor2d(l.kernel.data, l.kernel.shape as [number, number]),
    bias: tf.tensor1d(l.bias.data),
    activation: l.activation,
  }));
  const held: tf.Tensor[] = [itemPart, userKernel, ...layers.flatMap((l) => [l.kernel, l.bias])];
  if (classValues) held.push(classValues);
  return { spec, itemPart, userKernel, firstActivation: first.activation, layers, classValues, held };
}

/** Rating predictions for pairs: `users` [B, d] user vectors, `items` B item indices. Returns [B]; call inside tf.tidy. */
export function headPredictPairs(head: LoadedHead, users: tf.Tensor2D, items: Int32Array): tf.Tensor1D {
  const pre = tf.add(tf.gather(head.itemPart, items), tf.matMul(users, head.userKernel));
  return toRating(head, outputs(head, pre as tf.Tensor2D));
}

/** Scores of every item for one user vector [1, d], in one batched pass: [N]. Call inside tf.tidy. */
export function headScoreAllItems(head: LoadedHead, user: tf.Tensor2D): tf.Tensor1D {
  const pre = tf.add(head.itemPart, tf.matMul(user, head.userKernel));
  return toRating(head, outputs(head, pre as tf.Tensor2D));
}

/** Class probabilities [B, K] for pairs (a `classes` head only). Call inside tf.tidy. */
export function headClassProbabilities(head: LoadedHead, users: tf.Tensor2D, items: Int32Array): tf.Tensor2D {
  if (!head.classValues) throw new RangeError('headClassProbabilities: this head is a regression head, it has no classes');
  const pre = tf.add(tf.gather(head.itemPart, items), tf.matMul(users, head.userKernel));
  return outputs(head, pre as tf.Tensor2D);
}

/** The network after the first layer's pre-activation: [B, h1] -> [B, out] (probabilities for a classes head). */
function outputs(head: LoadedHead, pre: tf.Tensor2D): tf.Tensor2D {
  let x = activate(pre, head.firstActivation);
  for (const l of head.layers) x = activate(tf.add(tf.matMul(x, l.kernel), l.bias) as tf.Tensor2D, l.activation);
  return x;
}

/** [B, 1] -> [B] for regression; the expected rating sum_k p_k value_k for classes. */
function toRating(head: LoadedHead, out: tf.Tensor2D): tf.Tensor1D {
  const n = out.shape[0];
  return tf.reshape(head.classValues ? tf.matMul(out, head.classValues) : out, [n]);
}

function activate(x: tf.Tensor2D, a: HeadActivation): tf.Tensor2D {
  if (a === HeadActivation.relu) return tf.relu(x);
  if (a === HeadActivation.softmax) return tf.softmax(x);
  return x;
}

function checkInputs(spec: HeadSpec): void {
  const inputs = spec.inputs;
  const known = Object.values(HeadInput) as string[];
  const ok =
    Array.isArray(inputs) &&
    inputs.every((i) => known.includes(i)) &&
    new Set(inputs).size === inputs.length &&
    inputs.includes(HeadInput.user) &&
    inputs.includes(HeadInput.item);
  if (!ok) {
    throw new ArtifactError(`head inputs ${JSON.stringify(inputs)} must list user and item once each, and optionally item_features`);
  }
}

function tensorOf(tensors: Map<string, DecodedTensor>, name: string, rank: number, what: string): DecodedTensor {
  const t = tensors.get(name);
  if (!t) throw new ArtifactError(`${what}: the artifact has no tensor ${JSON.stringify(name)}`);
  if (t.shape.length !== rank) throw new ArtifactError(`${what}: tensor ${name} has rank ${t.shape.length}, expected ${rank}`);
  return t;
}

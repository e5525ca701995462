import type { TensorInput } from '../../shared/artifact/encode.js';
import { DType, HeadActivation, HeadInput, type HeadSpec, type Quantization } from '../../shared/artifact/schema.js';
import { ITEM_FEATURES_TENSOR } from '../../shared/model/head.js';
import { TENSOR_NAMES } from '../../shared/model/loaded.js';
import { intOption, numberOption, UsageError } from '../options.js';
import type { RatingsDataset } from '../data/types.js';
import { denseDType } from '../export/rating-artifact.js';
import { buildItemFeatures } from '../models/item-features.js';
import { predictNeural, trainNeural, type NeuralOptions, type NeuralOutput, type NeuralParams } from '../models/neural.js';
import type { CliOption } from './kinds.js';
import { argmax } from './rating-pipeline.js';
import { intList, type FittedRatingModel, type RatingKind, type SearchSpace } from './rating-kind.js';

/** How deep, hybrid and classify differ: item features in the input, and a regression or classes output. */
export interface NeuralVariant {
  kind: string;
  summary: string;
  defaults: Omit<NeuralOptions, 'seed'>;
  features: boolean;
  classes: boolean;
  space: SearchSpace;
}

const OPTIONS: Record<string, CliOption> = {
  lr: { type: 'string', help: 'Adam step size, head and embeddings' },
  'lr-decay': { type: 'string', help: 'lr multiplier per epoch' },
  batch: { type: 'string', help: 'batch size' },
  l2: { type: 'string', help: 'L2 weight on the embedding rows of each batch' },
  hidden: { type: 'string', help: 'hidden layer widths, comma-separated (e.g. 64,64)' },
  'dropout-input': { type: 'string', help: 'dropout on the user and item vectors' },
  'dropout-hidden': { type: 'string', help: 'dropout after each hidden layer' },
  loss: { type: 'string', help: 'regression loss: mse or mae (004 trains with mae)' },
};

export function neuralKind(v: NeuralVariant): RatingKind<NeuralOptions> {
  const d = v.defaults;
  const options = Object.fromEntries(
    Object.entries(OPTIONS)
      .filter(([name]) => !(v.classes && name === 'loss'))
      .map(([name, o]) => [name, { ...o, help: `${o.help} (default ${defaultText(d, name)})` }]),
  );
  return {
    kind: v.kind,
    summary: v.summary,
    options,
    space: v.space,
    parse(raw, seed) {
      const s = (name: string) => raw[name] as string | undefined;
      const loss = s('loss') ?? d.loss;
      if (loss !== 'mse' && loss !== 'mae') throw new UsageError(`--loss must be mse or mae, got ${JSON.stringify(loss)}`);
      return {
        dim: intOption('dim', s('dim'), d.dim, 1, 4096),
        epochs: intOption('epochs', s('epochs'), d.epochs, 1, 10_000),
        batch: intOption('batch', s('batch'), d.batch, 1, 65_536),
        lr: numberOption('lr', s('lr'), d.lr, 1e-9, 10),
        lrDecay: numberOption('lr-decay', s('lr-decay'), d.lrDecay, 0.01, 1),
        l2: numberOption('l2', s('l2'), d.l2, 0, 100),
        hidden: intList('hidden', s('hidden'), d.hidden),
        dropoutInput: numberOption('dropout-input', s('dropout-input'), d.dropoutInput, 0, 0.95),
        dropoutHidden: numberOption('dropout-hidden', s('dropout-hidden'), d.dropoutHidden, 0, 0.95),
        initScale: d.initScale,
        loss,
        seed,
      };
    },
    hyper: (o) => ({ ...o, hidden: o.hidden.join(','), ...(v.classes ? { loss: 'crossentropy' } : {}) }),
    async fit(ds, trainRows, o, hooks) {
      const output: NeuralOutput = v.classes ? { type: 'classes', values: ratingClasses(ds) } : { type: 'regression' };
      const features = v.features ? buildItemFeatures(ds, trainRows) : undefined;
      const { params, epochs } = trainNeural(v.kind, ds.ratings, trainRows, ds.userIds.length, ds.itemIds.length, o, output, features, hooks);
      return fittedNeural(params, epochs);
    },
  };
}

function fittedNeural(p: NeuralParams, epochs: FittedRatingModel['epochs']): FittedRatingModel {
  return {
    epochs,
    predict: (users, items) => predictNeural(p, users, items).rating,
    extraMetrics(users, items, truth): Record<string, number> {
      if (p.output.type !== 'classes') return {};
      const values = p.output.values;
      const probs = predictNeural(p, users, items).probs!;
      let hits = 0;
      let se = 0;
      let ae = 0;
      for (let n = 0; n < truth.length; n++) {
        const y = values[argmax(probs, n * values.length, values.length)];
        if (y === truth[n]) hits++;
        se += (y - truth[n]) ** 2;
        ae += Math.abs(y - truth[n]);
      }
      return { accuracy: hits / truth.length, rmse_argmax: Math.sqrt(se / truth.length), mae_argmax: ae / truth.length };
    },
    artifact: (q) => neuralArtifact(p, q),
  };
}

/** Embedding tables under the standard names (so similar-items works as for mf), the head's layers, item features. */
export function neuralArtifact(p: NeuralParams, q: Quantization): { tensors: TensorInput[]; head: HeadSpec } {
  const dense = denseDType(q);
  const tensors: TensorInput[] = [
    { name: TENSOR_NAMES.userFactors, data: p.userEmb, shape: [p.nUsers, p.dim], dtype: q },
    { name: TENSOR_NAMES.itemFactors, data: p.itemEmb, shape: [p.nItems, p.dim], dtype: q },
  ];
  const inputs: HeadSpec['inputs'] = [HeadInput.user, HeadInput.item];
  if (p.features) {
    inputs.push(HeadInput.itemFeatures);
    tensors.push({ name: ITEM_FEATURES_TENSOR, data: p.features.data, shape: [p.nItems, p.features.width], dtype: dense });
  }
  const last = p.mlp.layers.length - 1;
  const layers = p.mlp.layers.map((l, k) => {
    const kernel = `head_${k}_kernel`;
    const bias = `head_${k}_bias`;
    tensors.push({ name: kernel, data: l.kernel, shape: [l.inDim, l.outDim], dtype: dense });
    // Biases stay f32: a few hundred bytes, and the last one carries the rating's offset.
    tensors.push({ name: bias, data: l.bias, shape: [l.outDim], dtype: DType.f32 });
    const activation = k < last ? HeadActivation.relu : p.output.type === 'classes' ? HeadActivation.softmax : HeadActivation.linear;
    return { kernel, bias, activation };
  });
  return {
    tensors,
    head: { inputs, layers, output: p.output, ...(p.features ? { itemFeatures: p.features.names } : {}) },
  };
}

/** The rating classes of a classifier: the dataset's distinct rating values, ascending (1..5, 1..10, 0.5..5). */
export function ratingClasses(ds: RatingsDataset): number[] {
  const values = [...new Set(ds.ratings.rating)].sort((a, b) => a - b);
  if (values.length < 2 || values.length > 20) {
    throw new UsageError(
      `classify needs 2 to 20 distinct rating values to use as classes, ${ds.name} has ${values.length}` +
        (values.length > 20 ? ': it looks continuous; train deep or hybrid instead' : ''),
    );
  }
  return values;
}

function defaultText(d: Omit<NeuralOptions, 'seed'>, name: string): string {
  const map: Record<string, unknown> = {
    lr: d.lr,
    'lr-decay': d.lrDecay,
    batch: d.batch,
    l2: d.l2,
    hidden: d.hidden.join(','),
    'dropout-input': d.dropoutInput,
    'dropout-hidden': d.dropoutHidden,
    loss: d.loss,
  };
  return String(map[name]);
}

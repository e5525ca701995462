import { UsageError } from './args.js';

/** --data, or the --train half of a --train/--test pair (which then replaces --split and --cv). */
export function dataOption(v: Record<string, string | boolean | undefined>, input: string): string {
  if (v.train === undefined && v.test === undefined) {
    if (!v.data) throw new UsageError('--data is required: a dataset file or folder (see --help)');
    return v.data as string;
  }
  if (typeof v.train !== 'string' || typeof v.test !== 'string') {
    throw new UsageError(`--train and --test come together (your own split: the training file and the test file); got only --${v.train === undefined ? 'test' : 'train'}`);
  }
  if (input !== 'ratings') throw new UsageError(`--train/--test split ratings; --model ${v.model} reads ${input} from --data`);
  const clash = (['data', 'split', 'cv'] as const).find((k) => v[k] !== undefined && v[k] !== false);
  if (clash) throw new UsageError(`--${clash} does not go with --train/--test: the two files are the data and the split`);
  return v.train;
}

/** Error metrics for explicit ratings. Predictions and truths are aligned arrays. */
export function rmse(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  check(pred, truth);
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += (pred[i] - truth[i]) ** 2;
  return Math.sqrt(s / pred.length);
}

export function mae(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  check(pred, truth);
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += Math.abs(pred[i] - truth[i]);
  return s / pred.length;
}

export function clip(x: number, range: [number, number] | undefined): number {
  return range ? Math.min(range[1], Math.max(range[0], x)) : x;
}

function check(pred: ArrayLike<number>, truth: ArrayLike<number>): void {
  if (pred.length !== truth.length) throw new RangeError(`${pred.length} predictions for ${truth.length} truths`);
  if (pred.length === 0) throw new RangeError('no predictions to score: the test split is empty');
}

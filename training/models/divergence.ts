/** Thrown when training parameters stop being finite; the message says what to change. */
export class DivergenceError extends Error {
  constructor(model: string, epoch: number, what: string, lr: number) {
    super(
      `${model}: not all parameters are finite after epoch ${epoch} (${what}); the model has diverged. ` +
        `Try a smaller learning rate (now ${lr}, e.g. --lr ${lr / 4}) or a larger regularisation.`,
    );
    this.name = 'DivergenceError';
  }
}

export function allFinite(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

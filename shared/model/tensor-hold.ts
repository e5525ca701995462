import * as tf from '@tensorflow/tfjs-core';

/** A query needs a tfjs tensor of a model loaded without tfjs: initialise the backend, then run the query again. */
export class TfjsNotReadyError extends Error {
  constructor(what: string) {
    super(`${what} needs tfjs, which is not initialised in this isolate yet`);
    this.name = 'TfjsNotReadyError';
  }
}

/**
 * The tfjs tensors one loaded model holds: uploaded at load (`held`) or built on first use (`lazy`), all kept until
 * dispose. Lazy tensors are built outside any caller's tidy (tf.tidy would dispose them with the caller's
 * intermediates).
 */
export class TensorHold {
  private readonly all: tf.Tensor[] = [];
  private disposed = false;

  /** `label` names the model in errors (`<name>/<version>`); `tfReady` as LoadOptions.tfReady. */
  constructor(
    private readonly label: string,
    private readonly tfReady?: () => boolean,
  ) {}

  /** A tensor built by `make` on first use and then kept. */
  lazy<T extends tf.Tensor>(make: () => T): () => T {
    let t: T | undefined;
    return () => {
      if (this.disposed) throw new Error(`model ${this.label} is disposed`);
      if (!t) {
        if (this.tfReady && !this.tfReady()) throw new TfjsNotReadyError(`a query on ${this.label}`);
        tf.tidy(() => {
          t = tf.keep(make());
        });
        this.all.push(t!);
      }
      return t!;
    };
  }

  /** Keeps `t` (already built) until dispose. */
  held<T extends tf.Tensor>(t: T): T {
    this.all.push(t);
    return t;
  }

  /** Bytes of the tensors held so far (lazy ones count once built). */
  get bytes(): number {
    return this.all.reduce((s, t) => s + t.size * 4, 0);
  }

  /** Frees every tensor held (a load that fails after uploading some). */
  release(): void {
    this.all.forEach((t) => t.dispose());
  }

  /** Frees every tensor held; a lazy tensor asked for afterwards throws. */
  dispose(): void {
    this.disposed = true;
    this.release();
  }
}

/** The Worker's bindings, declared once (wrangler.toml). */
export interface Env {
  /** The artifact store: <model>/<version>/{manifest.json,tensors.bin,items.json} and <model>/CURRENT. */
  MODELS: R2Bucket;
  /** Seconds a loaded model trusts its CURRENT pointer before reading it again. */
  CURRENT_TTL_SECONDS?: string;
}

export type AppEnv = { Bindings: Env };

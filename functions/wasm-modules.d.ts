// wrangler's CompiledWasm rule (wrangler.toml) turns `*.wasm` imports into compiled modules: Workers may not compile
// wasm from bytes at run time.
declare module '*.wasm' {
  const compiled: WebAssembly.Module;
  export default compiled;
}

// The emscripten glue of tfjs-backend-wasm. Its own .d.ts extends the global `EmscriptenModule` from
// @types/emscripten, which tsconfig's `types` list does not load; only the members used here are declared.
declare module '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js' {
  export interface WasmGlueConfig {
    instantiateWasm?(
      imports: WebAssembly.Imports,
      receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
    ): object;
    onAbort?(what: unknown): void;
    locateFile?(path: string, prefix: string): string;
  }
  export interface WasmGlueModule {
    cwrap(ident: string, returnType: 'number' | null, argTypes: 'number'[]): (...args: number[]) => unknown;
    tfjs?: unknown;
  }
  const createModule: (config: WasmGlueConfig) => Promise<WasmGlueModule>;
  export default createModule;
}

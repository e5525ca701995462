// The isolate's own heap figures, read from workerd's V8 inspector (Runtime.getHeapUsage): what the memory part calls
// "measured in workerd". usedSize is the JS heap in use after a full GC; backingStorageSize the ArrayBuffer backing
// stores (typed arrays: the catalogue blocks, norms, user rows). Wasm linear memories are read by the bench Worker.
import { createServer } from 'node:net';
import type { StartedWorker } from '../../test/helpers/worker.js';

export interface HeapUsage {
  /** JS heap bytes in use after a full GC. */
  usedBytes: number;
  /** ArrayBuffer backing stores (outside the JS heap). */
  backingBytes: number;
}

/** A free TCP port on loopback (workerd's inspector needs a fixed one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface Inspector {
  /** Full GC, then the heap figures. `poke` runs a trivial request: workerd handles inspector commands between events. */
  heapUsage(w: StartedWorker): Promise<HeapUsage>;
  /** Raw protocol call (e.g. Profiler.start / Profiler.stop for a CPU profile of the isolate). */
  call<T>(method: string, params?: object): Promise<T>;
  close(): void;
}

export async function openInspector(port: number): Promise<Inspector> {
  const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { id: string; webSocketDebuggerUrl: string }[];
  // The user Worker's isolate (Miniflare's own helper Workers are listed beside it).
  const target = list.find((t) => t.id.startsWith('core:user:'));
  if (!target) throw new Error(`bench: no user Worker among the inspector targets ${list.map((t) => t.id).join(', ')}`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error(`bench: cannot open ${target.webSocketDebuggerUrl}`)), { once: true });
  });
  let next = 0;
  const pending = new Map<number, (result: unknown) => void>();
  ws.addEventListener('message', (ev) => {
    const m = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (m.id !== undefined) pending.get(m.id)?.(m.error ? new Error(m.error.message) : m.result);
  });
  const call = <T>(method: string, params: object = {}): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = ++next;
      const timer = setTimeout(() => reject(new Error(`bench: inspector ${method} did not answer in 60 s`)), 60_000);
      pending.set(id, (r) => {
        clearTimeout(timer);
        pending.delete(id);
        if (r instanceof Error) reject(r);
        else resolve(r as T);
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call('HeapProfiler.enable');
  return {
    async heapUsage(w) {
      const gc = call('HeapProfiler.collectGarbage');
      // workerd runs the command when the isolate next has work: a request for the OpenAPI document (no model).
      await new Promise((r) => setTimeout(r, 50));
      await (await w.fetch('/openapi.json')).arrayBuffer();
      await gc;
      const u = await call<{ usedSize: number; backingStorageSize: number }>('Runtime.getHeapUsage');
      return { usedBytes: u.usedSize, backingBytes: u.backingStorageSize };
    },
    call,
    close: () => ws.close(),
  };
}

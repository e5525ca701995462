// What every bench part receives, and what it hands back.
import type { Quantization } from '../../shared/artifact/schema.js';
import { encodeCatalog, makeCatalog, type Catalog, type EncodedCatalog } from './catalog.js';
import type { TimingOptions } from './query-impls.js';
import type { Table } from './table.js';

export const DIM = 64;

export interface BenchContext {
  quick: boolean;
  /** Catalogue sizes for the serving parts. */
  sizes: number[];
  /** Batched timing settings shared by Node and the bench Worker. */
  timing: Omit<TimingOptions, 'now'>;
  /** A temp folder removed at the end of the run. */
  tmp: string;
  log(line: string): void;
  /** Planted catalogue of `items` items (cached per size). */
  catalog(items: number): Catalog;
  /** The catalogue encoded as artifact files (cached per size and format). */
  encoded(items: number, q: Quantization): Promise<EncodedCatalog>;
  /** Results of parts that already ran this time (the scaling part reads them). */
  done: Record<string, PartResult>;
}

export interface PartResult {
  name: string;
  tables: Table[];
  /** Written to bench/results/<name>.json. */
  data: Record<string, unknown>;
  /** Headline figures merged into bench/results/summary.json (stable keys). */
  summary?: Record<string, unknown>;
  /** Problems worth saying in the report (skipped columns, failures). */
  notes?: string[];
}

export interface Part {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<PartResult>;
}

/** Users in every synthetic catalogue: enough for recommendations; the item table is what grows. */
export const CATALOG_USERS = 2000;
export const SEEN_PER_USER = 100;

export function catalogCache(): Pick<BenchContext, 'catalog' | 'encoded'> {
  const cats = new Map<number, Catalog>();
  const enc = new Map<string, Promise<EncodedCatalog>>();
  const catalog = (items: number) => {
    let c = cats.get(items);
    if (!c) cats.set(items, (c = makeCatalog({ items, users: CATALOG_USERS, dim: DIM, seenPerUser: SEEN_PER_USER, seed: 1000 + items })));
    return c;
  };
  return {
    catalog,
    encoded(items, q) {
      const key = `${items}/${q}`;
      let e = enc.get(key);
      if (!e) enc.set(key, (e = encodeCatalog(catalog(items), q)));
      return e;
    },
  };
}

/** Model names in the bench's R2 store. */
export const modelName = (items: number, q: Quantization) => `cat${items}-${q}`;

// The HTTP contract of every registered model kind, in one table: per kind, how each model route answers it (see
// test/contract.test.ts, which trains every kind, publishes it and serves it through the real Worker).
import type { Quantization } from '../../shared/artifact/schema.js';
import type { RouteId } from './contract-routes.js';

/** A refusal: the status and the error code of the JSON envelope, and what its message says (beside the model's name). */
export interface Refusal {
  status: 400 | 404;
  code: string;
  says: string;
}

/**
 * How a route answers a kind. `answers`: 2xx, the values checked against the Node side. For the visitor's ratings
 * (for-ratings): `rates` = each result carries `rating` from the rating fold-in; `rating_unavailable` = ranked, no
 * `rating`, and a field that says why; `ranks` = ranked only (a kind without a rating scale has no rating to give).
 */
export type Outcome = 'answers' | 'rates' | 'rating_unavailable' | 'ranks' | Refusal;

export interface KindContract {
  /** `npm run train` options for a tiny model (seconds, not minutes), as the CLI passes them. */
  options: Record<string, string>;
  /** The metric GET /v1/models lists for it (measured on the encoded artifact, as the Worker serves it). */
  metric: string;
  /** Extra quantisations beside q8 (the default) this kind is also served and checked with. */
  alsoServed?: Quantization[];
  routes: Record<RouteId, Outcome>;
}

export interface ExcludedKind {
  /** Why this kind has no row: it publishes nothing the Worker could serve. */
  excluded: string;
  options: Record<string, string>;
}

const refuse = (status: 400 | 404, code: string, says: string): Refusal => ({ status, code, says });
const NO_TAGS = refuse(400, 'no_tag_embeddings', 'has no tag embeddings: tag queries need a kind that learns them (itemtag, bpr)');
const NO_USERS = refuse(404, 'unknown_user', 'is not in model');
const NO_INTERACTIONS = refuse(400, 'no_interactions', 'was trained without user interactions, so it has no popular list');

const RANKER = { 'ranker-dim': '8', 'ranker-epochs': '4' };
const NEURAL = { dim: '8', epochs: '2', batch: '64', hidden: '16,8', ...RANKER };

/** Dot-product rating kinds: every rating route answers, visitors get ratings from the rating fold-in. */
const DOT_RATING: Record<RouteId, Outcome> = {
  similar: 'answers',
  recommendations: 'answers',
  unknownUser: 'answers',
  visitor: 'answers',
  forRatings: 'rates',
  popular: 'answers',
  rating: 'answers',
  predict: 'answers',
  similarTags: NO_TAGS,
  arithmetic: NO_TAGS,
  fromExamples: 'answers',
  events: 'answers',
  widgetItem: 'answers',
  widgetUser: 'answers',
  widgetPopular: 'answers',
  widgetVisitor: 'answers',
};

/** Dense-head kinds: as dot-product ones, but a head cannot take a folded-in visitor, so visitors get no rating. */
const HEAD_RATING: Record<RouteId, Outcome> = { ...DOT_RATING, forRatings: 'rating_unavailable' };

/**
 * Every kind in training/pipeline/registry.ts PIPELINES has a row: the suite fails on a kind registered without one.
 */
export const CONTRACT: Record<string, KindContract | ExcludedKind> = {
  mf: { options: { dim: '8', epochs: '8', ...RANKER }, metric: 'rmse', alsoServed: ['f32'], routes: DOT_RATING },
  svdpp: { options: { dim: '8', epochs: '8', seeds: '1', ...RANKER }, metric: 'rmse', routes: DOT_RATING },
  bmf: { options: { dim: '4', epochs: '6', 'export-dim': '8', ...RANKER }, metric: 'rmse', routes: DOT_RATING },
  deep: { options: NEURAL, metric: 'rmse', routes: HEAD_RATING },
  hybrid: { options: NEURAL, metric: 'rmse', routes: HEAD_RATING },
  classify: { options: NEURAL, metric: 'accuracy', routes: HEAD_RATING },
  bpr: {
    options: { dim: '8', 'tag-dim': '4', epochs: '4' },
    metric: 'ndcg_at_10',
    alsoServed: ['f32'],
    // As a rating kind, except: implicit feedback (scores rank, they are not ratings) and tags of its own.
    routes: {
      ...DOT_RATING,
      forRatings: 'ranks',
      rating: refuse(400, 'no_ratings', 'was trained without a rating scale (implicit feedback), so it ranks items but does not predict ratings'),
      predict: refuse(400, 'no_ratings', 'was trained without a rating scale (implicit feedback), so it ranks items but does not predict ratings'),
      similarTags: 'answers',
      // bpr's tags live in a space of their own (tag-dim), not the items'.
      arithmetic: refuse(400, 'tags_not_in_item_space', "keeps its tags in their own 4-d space, not in the items' 12-d space"),
    },
  },
  ials: {
    options: { dim: '8', epochs: '4', lambda: '2' },
    metric: 'ndcg_at_10',
    alsoServed: ['f32'],
    // bpr's routes without tags: implicit feedback (scores rank, they are not ratings), no tag embeddings.
    routes: {
      ...DOT_RATING,
      forRatings: 'ranks',
      rating: refuse(400, 'no_ratings', 'was trained without a rating scale (implicit feedback), so it ranks items but does not predict ratings'),
      predict: refuse(400, 'no_ratings', 'was trained without a rating scale (implicit feedback), so it ranks items but does not predict ratings'),
    },
  },
  itemtag: {
    options: { dim: '8', epochs: '8' },
    metric: 'tag_overlap_at_10',
    routes: {
      similar: 'answers',
      // No users, no interactions: nothing personal, no popular list, no visitor fold-in.
      recommendations: NO_USERS,
      unknownUser: NO_USERS,
      visitor: refuse(400, 'no_foldin', 'cannot fold a visitor in: this artifact carries no fold-in settings (manifest.foldin.implicit)'),
      forRatings: refuse(400, 'no_foldin', 'cannot fold a visitor in: this artifact carries no fold-in settings (manifest.foldin.implicit)'),
      popular: NO_INTERACTIONS,
      rating: refuse(400, 'no_ratings', 'has no users, so it does not predict ratings'),
      predict: refuse(400, 'no_ratings', 'has no users, so it does not predict ratings'),
      similarTags: 'answers',
      arithmetic: 'answers',
      fromExamples: 'answers',
      events: 'answers',
      widgetItem: 'answers',
      widgetUser: NO_USERS,
      widgetPopular: NO_INTERACTIONS,
      widgetVisitor: NO_INTERACTIONS,
    },
  },
  probe: {
    excluded: 'probe is report-only: it writes <out>/probe-report.json and no artifact, so there is nothing to publish or serve',
    options: { target: 'mean_rating', dim: '4', epochs: '3' },
  },
};

export function isServed(c: KindContract | ExcludedKind): c is KindContract {
  return !('excluded' in c);
}

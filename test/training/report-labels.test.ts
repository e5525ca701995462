import { describe, expect, it } from 'vitest';
import { baselineWarnings, epochMetricLabel } from '../../training/report/build.js';

describe('report wording', () => {
  it.each([
    ['trainRmse', 'train RMSE'],
    ['validRmse', 'validation RMSE'],
    ['auc', 'AUC'],
    ['ndcg_at_10', 'NDCG at 10'],
    ['tag_overlap_at_10', 'tag overlap at 10'],
  ])('per-epoch figure %s reads "%s"', (name, label) => {
    expect(epochMetricLabel(name)).toBe(label);
  });

  it('says when a baseline beats the model, and only then', () => {
    const metrics = {
      float: { tag_overlap_at_10: 0.8 },
      quantized: { tag_overlap_at_10: 0.833 },
      baselines: { train_tags_jaccard: { tag_overlap_at_10: 0.893 }, random: { tag_overlap_at_10: 0.131 } },
    };
    expect(baselineWarnings(metrics)).toEqual(['The train tags jaccard baseline scores higher than this model on tag overlap at 10 (0.893 vs 0.833).']);
    expect(baselineWarnings({ ...metrics, baselines: { random: { tag_overlap_at_10: 0.131 } } })).toEqual([]);
  });
});

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tagNamesOf } from '../../training/data/item-tag-dataset.js';
import { loadAny } from '../../training/data/load.js';
import { STEAM_CSV as FILE } from '../helpers/datasets.js';


describe.skipIf(!existsSync(FILE))('Steam store games, partial (real data, skipped when absent)', () => {
  it('auto-detects steam-csv and has the counts Python csv finds: 9,999 games, 306 tags, 29,219 pairs', async () => {
    const loaded = await loadAny(FILE);
    expect(loaded.format).toBe('steam-csv');
    if (loaded.kind !== 'itemtag') throw new Error('expected item-tag data');
    const ds = loaded.dataset;
    // SOURCE.md says 9,998 games; its own tag-count breakdown (9,352 + 516 + 131) sums to 9,999, as do the rows.
    expect(ds.itemIds).toHaveLength(9_999);
    expect(ds.tags).toHaveLength(306);
    expect(ds.pairs.item).toHaveLength(29_219);
    expect(ds.fingerprint).toBe('6b59a58b086271011b1c3ffa41e9980d85dba7e48e8d431518bcd895dbc10e64');
    expect([ds.itemIds[0], ds.itemTitles[0]]).toEqual(['10', 'Counter-Strike']);
    expect(tagNamesOf(ds)[0]).toEqual(['Action', 'FPS', 'Multiplayer']);
    expect(ds.itemIds[9_998]).toBe('501860');
    const i = ds.itemTitles.indexOf('Warhammer® 40,000: Dawn of War® - Dark Crusade');
    expect(i).toBeGreaterThan(0);
    expect(ds.properties.release_year[0]).toBe(2000);
    expect(ds.properties.positive_ratio[0]).toBeCloseTo(124_534 / (124_534 + 3_339), 12);
    expect(ds.properties.price[0]).toBe(7.19);
  });
});

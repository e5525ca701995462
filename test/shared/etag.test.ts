import { describe, expect, it } from 'vitest';
import { etagMatches, fnv1a64, normalizedQuery, versionEtag } from '../../shared/etag.js';

describe('FNV-1a 64', () => {
  // Reference vectors from the FNV authors' test suite (http://www.isthe.com/chongo/src/fnv/test_fnv.c).
  it.each([
    ['', 'cbf29ce484222325'],
    ['a', 'af63dc4c8601ec8c'],
    ['foobar', '85944171f73967e8'],
  ])('fnv1a64(%j) = %s', (text, hex) => expect(fnv1a64(text)).toBe(hex));

  it('hashes UTF-8 bytes: "é" is the two bytes c3 a9, not one UTF-16 code unit', () => {
    // FNV-1a by hand over a byte list: h = (h ^ byte) * prime mod 2^64.
    const byHand = (bytes: number[]) => {
      let h = 0xcbf29ce484222325n;
      for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
      return h.toString(16).padStart(16, '0');
    };
    expect(fnv1a64('é')).toBe(byHand([0xc3, 0xa9]));
    expect(fnv1a64('é')).not.toBe(byHand([0xe9]));
    expect(fnv1a64('foobar')).toBe(byHand([...'foobar'].map((ch) => ch.charCodeAt(0))));
    // The 32-bit-halves implementation against the 64-bit definition: seeded strings of every byte value and length,
    // high bytes included (they set the sign bit of the low half).
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
    for (let n = 0; n < 300; n++) {
      const text = String.fromCharCode(...Array.from({ length: n % 97 }, () => 0x20 + (rand() % 0x3e0)));
      expect(fnv1a64(text), JSON.stringify(text)).toBe(byHand([...new TextEncoder().encode(text)]));
    }
  });
});

describe('ETags from version and request', () => {
  const base = { version: '20261101T000000Z-aaaaaaaa', method: 'GET', path: '/v1/models/m/items/1/similar', search: '?k=5&exclude_seen=true' };

  it('sorts and re-encodes the query: order and encoding of parameters do not change the tag', () => {
    expect(normalizedQuery('?k=5&exclude_seen=true')).toBe('exclude_seen=true&k=5');
    expect(normalizedQuery('b=%41&a=1&b=0')).toBe('a=1&b=0&b=A');
    expect(versionEtag({ ...base, search: 'exclude_seen=true&k=5' })).toBe(versionEtag(base));
  });

  it('changes with the version, the path, the query, the salt; HEAD and GET share one', () => {
    const tag = versionEtag(base);
    expect(tag).toMatch(/^"[0-9a-f]{16}"$/);
    const others = [
      { ...base, version: '20261102T000000Z-bbbbbbbb' },
      { ...base, path: '/v1/models/m/items/2/similar' },
      { ...base, search: '?k=6&exclude_seen=true' },
      { ...base, salt: 'widget-1' },
      { ...base, method: 'POST' },
    ].map(versionEtag);
    expect(new Set([tag, ...others]).size).toBe(6);
    expect(versionEtag({ ...base, method: 'HEAD' })).toBe(tag);
  });

  it.each([
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", W/"abc"', true],
    ['*', true],
    ['"abcd"', false],
    ['abc', false],
    ['', false],
  ])('If-None-Match %j matches "abc": %s', (header, expected) => expect(etagMatches('"abc"', header)).toBe(expected));
});

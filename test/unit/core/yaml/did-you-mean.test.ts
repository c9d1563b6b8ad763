import { describe, expect, test } from 'vitest';
import { closest, editDistance } from '../../../../core/yaml/did-you-mean.ts';

describe('did you mean', () => {
  test('counts a swap of neighbours as one typo', () => {
    expect(editDistance('nmae', 'name')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  test('suggests only near words', () => {
    expect(closest('portal', ['portals', 'target'])).toBe('portals');
    expect(closest('colour', ['portals', 'target'])).toBeUndefined();
  });
});

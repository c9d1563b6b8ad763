import { expect, test } from 'vitest';
import { inputHash } from '../../../../core/plan/input-hash.ts';

test('the order of keys does not change the hash', () => {
  expect(inputHash({ vg: 'vl_lab', size: '4G', tags: ['n1'] })).toBe(
    inputHash({ tags: ['n1'], size: '4G', vg: 'vl_lab' }),
  );
});

test('any change of value does', () => {
  const base = inputHash({ vg: 'vl_lab', size: '4G', nested: { a: [1, 2] } });
  expect(inputHash({ vg: 'vl_lab', size: '8G', nested: { a: [1, 2] } })).not.toBe(base);
  expect(inputHash({ vg: 'vl_lab', size: '4G', nested: { a: [2, 1] } })).not.toBe(base);
});

test('no inputs hash like null, and dates by their ISO form', () => {
  expect(inputHash(undefined)).toBe(inputHash(null));
  expect(inputHash({ at: new Date('2025-01-01T00:00:00Z') })).toBe(
    inputHash({ at: '2025-01-01T00:00:00.000Z' }),
  );
  expect(inputHash(undefined)).toMatch(/^sha256:[0-9a-f]{64}$/);
});

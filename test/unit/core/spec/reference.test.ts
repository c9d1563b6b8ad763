import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { specReference } from '../../../../core/spec/reference.ts';

test('docs/cluster-spec.md is the reference generated from the schema (regenerate: virtualinux spec reference)', () => {
  const committed = readFileSync(new URL('../../../../docs/cluster-spec.md', import.meta.url), 'utf8');
  expect(committed).toBe(specReference());
});

test('the reference documents every field with a meaning', () => {
  const rows = specReference()
    .split('\n')
    .filter((line) => line.startsWith('| `') && !line.includes('.<name>`'));
  expect(rows.length).toBeGreaterThan(40);
  for (const row of rows) expect(row, row).toMatch(/\| [^|]*\S[^|]* \|$/);
});

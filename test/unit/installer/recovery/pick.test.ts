/** The Recovery entry's question (reset --pick): the blades listed, the answer read, keep-data asked. */
import { expect, test } from 'vitest';
import { expandBlades } from '../../../../core/spec/derive.ts';
import { keepQuestion, parsePick, parseYes, pickLines } from '../../../../installer/recovery/pick.ts';
import { exampleSpec } from '../engine/fixtures/recorded.ts';

const spec = exampleSpec();
const blades = expandBlades(spec);

test('every blade of the spec is listed with its MAC and address, each line within 80 columns', () => {
  const lines = pickLines(spec);
  for (const blade of blades) {
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^  ${blade.name} +${blade.mac}  ${blade.ip}$`)),
    );
  }
  expect(lines[0]).toMatch(new RegExp(`^Cluster ${spec.cluster.name}: ${blades.length} blades\\.`));
  for (const line of lines) expect(line.length).toBeLessThan(80);
});

test('names by spaces or commas, each once; all; an empty answer leaves', () => {
  const [a, b] = blades.map((blade) => blade.name);
  expect(parsePick(` ${a}, ${b} ${a} `, spec)).toEqual({ kind: 'blades', names: [a, b], all: false });
  expect(parsePick('ALL', spec)).toEqual({ kind: 'blades', names: [], all: true });
  expect(parsePick('  \t', spec)).toEqual({ kind: 'leave' });
});

test('a name the spec does not have is asked again, with the closest name and the blades', () => {
  const [first] = blades.map((blade) => blade.name);
  const typo = `${first}x`;
  const picked = parsePick(`${typo}`, spec);
  expect(picked.kind).toBe('again');
  expect(picked.kind === 'again' && picked.problem).toBe(
    `cluster ${spec.cluster.name} has no blade ${typo}: did you mean ${first}? its blades: ${blades.map((b) => b.name).join(', ')}`,
  );
  // all with names is not a blade called all
  expect(parsePick(`all ${first}`, spec).kind).toBe('again');
});

test('keep-data is asked only when the spec marks persistent paths; only y or yes keeps', () => {
  expect(keepQuestion(spec)).toBe(
    `Keep ${spec.storage.persistent.join(' ')} from the old layers in the new ones? (y/N): `,
  );
  expect(keepQuestion({ ...spec, storage: { ...spec.storage, persistent: [] } })).toBeUndefined();
  expect(['y', 'Yes', ' y '].map(parseYes)).toEqual([true, true, true]);
  expect(['', 'n', 'yep', 'no'].map(parseYes)).toEqual([false, false, false, false]);
});

/**
 * Property: whatever text arrives, the checker either accepts it or rejects it with located
 * problems — it never throws, never returns an empty rejection, never points outside the file.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { checkSpecText } from '../../../../core/spec/load.ts';
import { example } from './check.ts';

function assertWellFormed(text: string) {
  const result = checkSpecText(text);
  if (result.ok) return;
  expect(result.problems.length).toBeGreaterThan(0);
  const lines = text.split('\n').length;
  for (const problem of result.problems) {
    expect(problem.message.length).toBeGreaterThan(0);
    expect(problem.message).not.toMatch(/\n|\bat .*\.ts:\d+/);
    if (problem.line !== undefined) {
      expect(problem.line).toBeGreaterThanOrEqual(1);
      expect(problem.line).toBeLessThanOrEqual(lines + 1);
      expect(problem.col).toBeGreaterThanOrEqual(1);
    }
  }
}

const exampleLines = example.split('\n');

/** a mutation of the example: what a tired administrator's editor does to a file */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap-lines' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({
    kind: fc.constant('replace-char' as const),
    at: fc.nat(),
    char: fc.string({ minLength: 1, maxLength: 1 }),
  }),
  fc.record({ kind: fc.constant('insert-text' as const), at: fc.nat(), text: fc.string({ maxLength: 12 }) }),
  fc.record({
    kind: fc.constant('replace-value' as const),
    at: fc.nat(),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function apply(lines: string[], m: Mutation): string[] {
  const out = [...lines];
  const i = m.at % out.length;
  switch (m.kind) {
    case 'delete-line':
      out.splice(i, 1);
      break;
    case 'duplicate-line':
      out.splice(i, 0, out[i] ?? '');
      break;
    case 'swap-lines': {
      const j = m.with % out.length;
      [out[i], out[j]] = [out[j] ?? '', out[i] ?? ''];
      break;
    }
    case 'replace-char': {
      const line = out[i] ?? '';
      const c = line.length === 0 ? 0 : m.at % line.length;
      out[i] = line.slice(0, c) + m.char + line.slice(c + 1);
      break;
    }
    case 'insert-text': {
      const line = out[i] ?? '';
      const c = line.length === 0 ? 0 : m.at % (line.length + 1);
      out[i] = line.slice(0, c) + m.text + line.slice(c);
      break;
    }
    case 'replace-value': {
      const line = out[i] ?? '';
      const colon = line.indexOf(': ');
      if (colon !== -1) out[i] = `${line.slice(0, colon + 2)}${JSON.stringify(m.value)}`;
      break;
    }
  }
  return out;
}

describe('the spec checker on any input', () => {
  test('random mutations of the example are accepted or rejected with located problems', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
        assertWellFormed(mutations.reduce(apply, exampleLines).join('\n'));
      }),
      { numRuns: 600 },
    );
    // 600 full checks: about 3 s on an idle 2-core machine, three times that while a build runs
  }, 60_000);

  test('random YAML documents are accepted or rejected with located problems', () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 4, withNullPrototype: false }), (value) => {
        let text: string | undefined;
        try {
          text = stringify(value);
        } catch {
          return; // some values have no YAML form; nothing to check
        }
        if (typeof text === 'string') assertWellFormed(text);
      }),
      { numRuns: 300 },
    );
  });

  test('random text is accepted or rejected with located problems', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        assertWellFormed(text);
      }),
      { numRuns: 500 },
    );
  });

  test('random byte strings never crash the checker', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const result = checkSpecText(bytes);
        expect(result.ok || result.problems.length > 0).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('mutating only the values of blade entries keeps every problem located in nodes', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 1 }), (value) => {
        const text = example.replace('    mac: 52:54:00:42:00:01', () => `    mac: ${JSON.stringify(value)}`);
        const result = checkSpecText(text);
        if (!result.ok) for (const p of result.problems) expect(p.path[0]).toBe('nodes');
      }),
      { numRuns: 200 },
    );
  });
});

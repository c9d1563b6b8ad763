/** Test helpers: the example spec, edited in place, checked, and its problems as printed. */
import { expect } from 'vitest';
import { exampleSpecText } from '../../../../core/spec/example.ts';
import { checkSpecText } from '../../../../core/spec/load.ts';
import type { Spec } from '../../../../core/spec/schema.ts';
import { formatProblem } from '../../../../core/yaml/problems.ts';

export const example = exampleSpecText();

/** the example with one text replaced; fails loudly when the example no longer holds that text */
export function edit(text: string, ...replacements: [string, string][]): string {
  let result = text;
  for (const [from, to] of replacements) {
    expect(result, `the example spec should contain ${JSON.stringify(from)}`).toContain(from);
    result = result.replace(from, to);
  }
  return result;
}

/** the lines `spec check` would print for this text, as file cluster.yaml */
export function problems(text: string): string[] {
  const result = checkSpecText(text);
  return result.ok ? [] : result.problems.map((p) => formatProblem('cluster.yaml', p));
}

export function valid(text: string): Spec {
  const result = checkSpecText(text);
  if (!result.ok)
    throw new Error(
      `expected a valid spec, got:\n${result.problems.map((p) => formatProblem('cluster.yaml', p)).join('\n')}`,
    );
  return result.spec;
}

/** the 1-based line of the first occurrence of a text in a spec */
export function lineOf(text: string, needle: string): number {
  const index = text.indexOf(needle);
  expect(index, `${JSON.stringify(needle)} should occur in the spec`).toBeGreaterThanOrEqual(0);
  return text.slice(0, index).split('\n').length;
}

/**
 * `virtualinux reset --pick`: the DVD's Recovery entry asks which blades to reset, on any console
 * (a serial line included), in plain lines: the spec's blades, the administrator's answer, whether
 * the spec's persistent paths are kept. What the reset discards and the typed consent come after,
 * from the reset itself. Pure: the question's lines and the answers' meaning.
 */
import { expandBlades } from '../../core/spec/derive.ts';
import type { Spec } from '../../core/spec/schema.ts';
import { selectedBlades } from './reset.ts';

export type Pick =
  /** an empty answer: nothing is reset */
  | { kind: 'leave' }
  | { kind: 'blades'; names: string[]; all: boolean }
  /** the answer names no blade of the spec: why, and the question is asked again */
  | { kind: 'again'; problem: string };

/** the spec's blades, one line each, before the question */
export function pickLines(spec: Spec): string[] {
  const blades = expandBlades(spec);
  const width = Math.max(...blades.map((b) => b.name.length), 4);
  return [
    `Cluster ${spec.cluster.name}: ${blades.length} blades. A reset gives a blade a new, empty layer;`,
    'what its old layer holds is listed before anything is changed.',
    ...blades.map((b) => `  ${b.name.padEnd(width)}  ${b.mac}  ${b.ip}`),
  ];
}

export const PICK_QUESTION = 'Blades to reset (names, or all; Enter alone leaves): ';

/** the answer: names separated by spaces or commas, `all`, or nothing */
export function parsePick(answer: string, spec: Spec): Pick {
  const words = answer
    .split(/[\s,]+/)
    .map((word) => word.trim())
    .filter((word) => word !== '');
  if (words.length === 0) return { kind: 'leave' };
  if (words.length === 1 && words[0]?.toLowerCase() === 'all')
    return { kind: 'blades', names: [], all: true };
  const names = [...new Set(words)];
  try {
    selectedBlades(spec, names, false);
  } catch (error) {
    const { message, hint } = error as { message: string; hint?: string };
    return { kind: 'again', problem: hint ? `${message}: ${hint}` : message };
  }
  return { kind: 'blades', names, all: false };
}

/** the question on --keep-data, when the spec marks persistent paths; undefined when it marks none */
export function keepQuestion(spec: Spec): string | undefined {
  const paths = spec.storage.persistent;
  if (paths.length === 0) return undefined;
  return `Keep ${paths.join(' ')} from the old layers in the new ones? (y/N): `;
}

export const parseYes = (answer: string) => /^\s*y(es)?\s*$/i.test(answer);

/**
 * Reading cluster.yaml: file → text → YAML → schema → cross-field rules, every problem located at
 * its line and column. Never throws on bad input: a spec is either accepted or rejected with problems.
 */
import { readFileSync, statSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { UserError } from '../errors.ts';
import { closest } from './did-you-mean.ts';
import { describeValue, quote } from './primitives.ts';
import { formatProblem, type SpecPath, type SpecProblem } from './problems.ts';
import { checkRules } from './rules.ts';
import { Spec } from './schema.ts';
import { knownKeysAt } from './schema-walk.ts';

export type SpecCheck = { ok: true; spec: Spec } | { ok: false; problems: SpecProblem[] };

/** a cluster spec is a page of text; anything larger is not one */
export const MAX_SPEC_BYTES = 1024 * 1024;
/** YAML aliases are fine for sharing a block; thousands of them are an expansion bomb */
export const MAX_ALIASES = 100;

const EXPECTED: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

/** the messages of zod's generic issues, in the words of this spec */
function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return issue.input === undefined
        ? `missing (expected ${expected})`
        : `expected ${expected}, found ${describeValue(issue.input)}`;
    }
    case 'invalid_value': {
      const suggestion =
        typeof issue.input === 'string' ? closest(issue.input, issue.values.map(String)) : undefined;
      return `${describeValue(issue.input)} is not allowed (expected one of ${issue.values.join(', ')}${suggestion ? `; did you mean ${suggestion}?` : ''})`;
    }
    case 'too_small':
      return issue.origin === 'array'
        ? undefined
        : `${describeValue(issue.input)} is too small (expected at least ${issue.minimum})`;
    case 'too_big':
      return `${describeValue(issue.input)} is too large (expected at most ${issue.maximum})`;
    case 'invalid_key':
      return issue.issues[0]?.message;
    default:
      return undefined;
  }
}

class Locator {
  readonly #lines = new LineCounter();
  readonly doc;
  constructor(text: string) {
    this.doc = parseDocument(text, { lineCounter: this.#lines, uniqueKeys: true, prettyErrors: true });
  }

  at(offset: number) {
    const { line, col } = this.#lines.linePos(offset);
    return { line, col };
  }

  /** the node at a path, or the closest existing ancestor; for a key, the key itself */
  place(path: SpecPath, key?: string): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    for (const part of [...path, ...(key === undefined ? [] : [key])]) {
      const next = childOf(node, part, part === key);
      if (next === undefined) break;
      node = next;
    }
    const range = (node as Node | undefined)?.range;
    return this.at(range?.[0] ?? 0);
  }
}

function childOf(node: unknown, part: string | number, wantKey: boolean): unknown {
  if (isSeq(node) && typeof part === 'number') return node.items[part];
  if (isMap(node)) {
    const pair = node.items.find(
      (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(part),
    );
    if (!pair) return undefined;
    return wantKey ? pair.key : (pair.value ?? pair.key);
  }
  return undefined;
}

/** the bytes as text, or why they are not a spec */
function asText(bytes: Uint8Array): { text: string } | { problem: string } {
  if (bytes.length > MAX_SPEC_BYTES) {
    return {
      problem: `${bytes.length} bytes is too large for a cluster spec (expected at most ${MAX_SPEC_BYTES})`,
    };
  }
  try {
    return notBinary(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return { problem: 'not UTF-8 text (expected a cluster.yaml in UTF-8)' };
  }
}

function notBinary(text: string): { text: string } | { problem: string } {
  // NUL and other C0 controls but tab, newline and carriage return never occur in a YAML text
  const isBinary = (code: number) => code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d;
  let control = -1;
  for (let i = 0; i < text.length && control === -1; i += 1) if (isBinary(text.charCodeAt(i))) control = i;
  return control === -1
    ? { text }
    : { problem: `binary data at character ${control}, not a YAML text (expected a cluster.yaml)` };
}

const byPosition = (a: SpecProblem, b: SpecProblem) =>
  (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0);

export function checkSpecText(source: string | Uint8Array): SpecCheck {
  const decoded = typeof source === 'string' ? notBinary(source) : asText(source);
  if ('problem' in decoded) return { ok: false, problems: [{ path: [], message: decoded.problem }] };
  const located = new Locator(decoded.text);
  const { doc } = located;
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((error) => {
        const [line = 1, col = 1] = error.linePos ? [error.linePos[0].line, error.linePos[0].col] : [];
        const what = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        return { path: [], line, col, message: `YAML syntax: ${what}` };
      }),
    };
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return {
      ok: false,
      problems: [
        {
          path: [],
          message: 'the spec is empty (expected a cluster spec; `virtualinux spec example` prints one)',
        },
      ],
    };
  }
  if (!isMap(doc.contents)) {
    return {
      ok: false,
      problems: [
        {
          path: [],
          ...located.place([]),
          message: `expected a mapping of sections (cluster, san, nodes, …), found ${isSeq(doc.contents) ? 'a list' : 'a single value'}`,
        },
      ],
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    const message =
      error instanceof Error && /alias/i.test(error.message)
        ? `YAML aliases expand too far (more than ${MAX_ALIASES} references; a cluster spec never needs that)`
        : `YAML: ${error instanceof Error ? error.message : String(error)}`;
    return { ok: false, problems: [{ path: [], line: 1, col: 1, message }] };
  }

  const parsed = Spec.safeParse(data, { error: issueMessage });
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue): SpecProblem[] => {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      if (issue.code === 'unrecognized_keys') {
        const known = knownKeysAt(Spec, path);
        return issue.keys.map((key) => {
          const suggestion = closest(key, known);
          const hint = suggestion ? `did you mean "${suggestion}"?` : `expected one of ${known.join(', ')}`;
          return {
            path: [...path, key],
            ...located.place(path, key),
            message: `unknown key ${quote(key)} (${hint})`,
          };
        });
      }
      return [{ path, ...located.place(path), message: issue.message }];
    });
    return { ok: false, problems: problems.sort(byPosition) };
  }
  const ruleProblems = checkRules(parsed.data);
  if (ruleProblems.length > 0) {
    return {
      ok: false,
      problems: ruleProblems.map((p) => ({ ...p, ...located.place(p.path) })).sort(byPosition),
    };
  }
  return { ok: true, spec: parsed.data };
}

/** reads a spec file; a file that cannot be read is one problem without a line */
export function checkSpecFile(file: string): SpecCheck {
  const fail = (message: string): SpecCheck => ({ ok: false, problems: [{ path: [], message }] });
  let bytes: Uint8Array;
  try {
    // read standard input by descriptor: /dev/stdin cannot be opened when it is a socket
    if (file === '-' || file === '/dev/stdin') return checkSpecText(readFileSync(0));
    const stat = statSync(file);
    if (stat.isDirectory()) return fail('is a directory (expected a cluster.yaml file)');
    if (stat.isFile() && stat.size > MAX_SPEC_BYTES) {
      return fail(`${stat.size} bytes is too large for a cluster spec (expected at most ${MAX_SPEC_BYTES})`);
    }
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      return fail('no such file (expected a cluster.yaml; `virtualinux spec example` prints one)');
    if (code === 'EACCES') return fail('permission denied (expected a readable file)');
    return fail(`cannot be read: ${code ?? String(error)}`);
  }
  return checkSpecText(bytes);
}

export class SpecError extends UserError {
  constructor(
    readonly file: string,
    readonly problems: SpecProblem[],
  ) {
    super(
      problems.map((p) => formatProblem(file, p)).join('\n'),
      `check it with: virtualinux spec check ${file}`,
    );
  }
}

/** the spec of every command that takes one: valid, or a SpecError listing every problem */
export function loadSpec(file: string): Spec {
  const result = checkSpecFile(file);
  if (!result.ok) throw new SpecError(file, result.problems);
  return result.spec;
}

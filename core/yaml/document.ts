/**
 * Reading a YAML document that people write (cluster.yaml, image recipes): file → text → YAML →
 * zod schema → cross-field rules, every problem located at its line and column. Never throws on
 * bad input: a document is either accepted or rejected with problems.
 */
import { readFileSync, statSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { describeValue, quote } from './describe.ts';
import { closest } from './did-you-mean.ts';
import type { Problem, ProblemPath, RuleProblem } from './problems.ts';
import { knownKeysAt } from './schema-walk.ts';

/** what kind of document is read, in the words its messages use */
export interface DocumentKind<S extends z.ZodType = z.ZodType> {
  schema: S;
  /** e.g. 'a cluster spec' */
  what: string;
  /** e.g. 'a cluster.yaml' */
  file: string;
  /** e.g. 'sections cluster, san, nodes, …' */
  topLevel: string;
  /** e.g. '`virtualinux spec example` prints one' */
  howToStart?: string;
  /** problems spanning fields, once the schema holds */
  rules?: (value: z.output<S>) => RuleProblem[];
}

export type DocumentCheck<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/** a document people write is a page of text; anything larger is not one */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;
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
  place(path: ProblemPath, key?: string): { line: number; col: number } {
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
function asText(bytes: Uint8Array, kind: DocumentKind): { text: string } | { problem: string } {
  if (bytes.length > MAX_DOCUMENT_BYTES) {
    return {
      problem: `${bytes.length} bytes is too large for ${kind.what} (expected at most ${MAX_DOCUMENT_BYTES})`,
    };
  }
  try {
    return notBinary(new TextDecoder('utf-8', { fatal: true }).decode(bytes), kind);
  } catch {
    return { problem: `not UTF-8 text (expected ${kind.file} in UTF-8)` };
  }
}

function notBinary(text: string, kind: DocumentKind): { text: string } | { problem: string } {
  // NUL and other C0 controls but tab, newline and carriage return never occur in a YAML text
  const isBinary = (code: number) => code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d;
  let control = -1;
  for (let i = 0; i < text.length && control === -1; i += 1) if (isBinary(text.charCodeAt(i))) control = i;
  return control === -1
    ? { text }
    : { problem: `binary data at character ${control}, not a YAML text (expected ${kind.file})` };
}

const byPosition = (a: Problem, b: Problem) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0);

export function checkYamlText<S extends z.ZodType>(
  kind: DocumentKind<S>,
  source: string | Uint8Array,
): DocumentCheck<z.output<S>> {
  const decoded = typeof source === 'string' ? notBinary(source, kind) : asText(source, kind);
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
          message: `the file is empty (expected ${kind.what}${kind.howToStart ? `; ${kind.howToStart}` : ''})`,
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
          message: `expected a mapping of ${kind.topLevel}, found ${isSeq(doc.contents) ? 'a list' : 'a single value'}`,
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
        ? `YAML aliases expand too far (more than ${MAX_ALIASES} references; ${kind.what} never needs that)`
        : `YAML: ${error instanceof Error ? error.message : String(error)}`;
    return { ok: false, problems: [{ path: [], line: 1, col: 1, message }] };
  }

  const parsed = kind.schema.safeParse(data, { error: issueMessage });
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue): Problem[] => {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      if (issue.code === 'unrecognized_keys') {
        const known = knownKeysAt(kind.schema, path);
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
  const ruleProblems = kind.rules?.(parsed.data) ?? [];
  if (ruleProblems.length > 0) {
    return {
      ok: false,
      problems: ruleProblems.map((p) => ({ ...p, ...located.place(p.path) })).sort(byPosition),
    };
  }
  return { ok: true, value: parsed.data };
}

/** reads a file; a file that cannot be read is one problem without a line */
export function checkYamlFile<S extends z.ZodType>(
  kind: DocumentKind<S>,
  file: string,
): DocumentCheck<z.output<S>> {
  const fail = (message: string): DocumentCheck<z.output<S>> => ({
    ok: false,
    problems: [{ path: [], message }],
  });
  let bytes: Uint8Array;
  try {
    // read standard input by descriptor: /dev/stdin cannot be opened when it is a socket
    if (file === '-' || file === '/dev/stdin') return checkYamlText(kind, readFileSync(0));
    const stat = statSync(file);
    if (stat.isDirectory()) return fail(`is a directory (expected ${kind.file})`);
    if (stat.isFile() && stat.size > MAX_DOCUMENT_BYTES) {
      return fail(
        `${stat.size} bytes is too large for ${kind.what} (expected at most ${MAX_DOCUMENT_BYTES})`,
      );
    }
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      return fail(`no such file (expected ${kind.file}${kind.howToStart ? `; ${kind.howToStart}` : ''})`);
    if (code === 'EACCES') return fail('permission denied (expected a readable file)');
    return fail(`cannot be read: ${code ?? String(error)}`);
  }
  return checkYamlText(kind, bytes);
}

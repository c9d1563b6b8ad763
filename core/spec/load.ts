/**
 * Reading cluster.yaml: the located-YAML checker with the spec's schema and rules.
 * Every command that takes a spec reads it through loadSpec, so all print problems alike.
 */
import { UserError } from '../errors.ts';
import { checkYamlFile, checkYamlText, type DocumentCheck, type DocumentKind } from '../yaml/document.ts';
import { formatProblem, type Problem } from '../yaml/problems.ts';
import { checkRules } from './rules.ts';
import { Spec } from './schema.ts';

export const specDocument: DocumentKind<typeof Spec> = {
  schema: Spec,
  what: 'a cluster spec',
  file: 'a cluster.yaml',
  topLevel: 'sections (cluster, san, nodes, …)',
  howToStart: '`virtualinux spec example` prints one',
  rules: checkRules,
};

export type SpecCheck = { ok: true; spec: Spec } | { ok: false; problems: Problem[] };

const asSpecCheck = (result: DocumentCheck<Spec>): SpecCheck =>
  result.ok ? { ok: true, spec: result.value } : result;

export const checkSpecText = (source: string | Uint8Array) =>
  asSpecCheck(checkYamlText(specDocument, source));

export const checkSpecFile = (file: string) => asSpecCheck(checkYamlFile(specDocument, file));

export class SpecError extends UserError {
  constructor(
    readonly file: string,
    readonly problems: Problem[],
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

/** A problem in a document, located in its file, and the one format every command prints it in. */

export type ProblemPath = (string | number)[];

export interface RuleProblem {
  path: ProblemPath;
  message: string;
}

export interface Problem extends RuleProblem {
  /** 1-based; absent when the problem concerns the whole file */
  line?: number;
  col?: number;
}

/** a path as people write it: nodes[0].mac */
export const pathText = (path: ProblemPath) =>
  path
    .map((part, i) => {
      if (typeof part === 'number') return `[${part}]`;
      if (!/^[\w.-]+$/.test(part))
        return `[${JSON.stringify(part.length > 40 ? `${part.slice(0, 40)}…` : part)}]`;
      return i === 0 ? part : `.${part}`;
    })
    .join('');

/** `FILE:LINE:COL: path.to.field: what is wrong (what is expected)` */
export function formatProblem(file: string, problem: Problem): string {
  const where = problem.line === undefined ? file : `${file}:${problem.line}:${problem.col ?? 1}`;
  const path = problem.path.length > 0 ? `${pathText(problem.path)}: ` : '';
  return `${where}: ${path}${problem.message}`;
}

/**
 * The cluster spec as the installer builds it: a plain object in the shape of cluster.yaml,
 * checked by the spec's own checker (checkSpecText) so that every message on screen is one
 * `virtualinux spec check` would print. The CHAP secret is never part of it: the spec names the
 * file the secret is written to.
 */
import { stringify } from 'yaml';
import { checkSpecText } from '../../core/spec/load.ts';
import { Spec } from '../../core/spec/schema.ts';
import { type Problem, type ProblemPath, pathText } from '../../core/yaml/problems.ts';

/** where the install writes the secret typed on the SAN screen (root-only, mode 0600) */
export const CHAP_SECRET_REF = 'file:/etc/virtualinux/chap.secret';

/** a nodes entry as written: name (or range) and MAC; imported entries may carry more keys */
export interface NodeDraft {
  name: string;
  mac?: string;
  [key: string]: unknown;
}

export interface SpecDraft {
  cluster: { name?: string; domain?: string };
  san: {
    portals: string[];
    target?: string;
    lun?: number;
    transport: 'tcp' | 'iser';
    chap?: { user: string; secret: string };
    size?: number;
  };
  fabric: { sif?: string; modules: string[]; cidr?: string };
  network: { cidr?: string };
  nodes: NodeDraft[];
  images: { vc: string[] };
  /** a spec brought with --spec FILE, as written: what the screens do not edit is kept from it */
  kept?: Record<string, unknown>;
}

export interface DraftCheck {
  /** the checker's problems, with the paths of cluster.yaml */
  problems: Problem[];
  /** the draft as the schema reads it (defaults filled), when the schema holds; rules may still fail */
  spec?: Spec;
  /** the whole spec holds: schema and rules */
  valid: boolean;
}

/** drops keys whose value is undefined: the YAML then says "missing", as a hand-written file would */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** a section as the screens write it over the one brought: each key the screens edit replaces the brought one */
function over(brought: unknown, edited: object): object {
  const section = typeof brought === 'object' && brought !== null && !Array.isArray(brought) ? brought : {};
  const rest = Object.entries(section).filter(([key]) => !(key in edited));
  return { ...Object.fromEntries(rest), ...defined(edited) };
}

function written(draft: SpecDraft): object {
  const kept = draft.kept ?? {};
  return {
    ...kept,
    cluster: over(kept.cluster, draft.cluster),
    san: over(kept.san, draft.san),
    fabric: over(kept.fabric, draft.fabric),
    network: over(kept.network, draft.network),
    nodes: draft.nodes.map(defined),
    images: over(kept.images, draft.images),
  };
}

/** cluster.yaml as the install will save it */
export const specYaml = (draft: SpecDraft) => stringify(written(draft));

export function checkDraft(draft: SpecDraft): DraftCheck {
  const result = checkSpecText(specYaml(draft));
  const schema = Spec.safeParse(written(draft));
  return {
    problems: result.ok ? [] : result.problems,
    ...(schema.success && { spec: schema.data }),
    valid: result.ok,
  };
}

/** does a problem's path lie at or under a place in the spec */
export const under = (path: ProblemPath, place: ProblemPath) =>
  place.length <= path.length && place.every((part, i) => path[i] === part);

/**
 * The messages at or under a place; a deeper key is named (`mac: ...`), a list position is not:
 * the spec's messages quote the value itself.
 */
export function problemsAt(problems: Problem[], place: ProblemPath): string[] {
  return problems
    .filter((p) => under(p.path, place))
    .map((p) => {
      const rest = p.path.slice(place.length).filter((part) => typeof part === 'string');
      return rest.length === 0 ? p.message : `${pathText(rest)}: ${p.message}`;
    });
}

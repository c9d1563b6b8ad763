/**
 * The screens as forms: which items each shows (some only when they apply), the problems at each
 * item — the spec checker's, placed by path, and the few the installer adds for what is not in
 * the spec (the interface not chosen yet, the secret, the LUN) — and which of them show yet.
 */
import { MIN_SECRET_LENGTH } from '../../core/exec/secrets.ts';
import { type Problem, type ProblemPath, pathText } from '../../core/yaml/problems.ts';
import { newMacs } from './blades.ts';
import { problemsAt, under } from './draft.ts';
import {
  type ButtonId,
  type Item,
  type ItemId,
  itemOfPath,
  type ListId,
  SCREEN_TITLES,
  type ScreenId,
  screenOfItem,
  TEXT_FIELDS,
  type TextFieldId,
  WIZARD,
} from './fields.ts';
import type { PlanSummary } from './port.ts';
import { imageOffers, type State } from './state.ts';

const text = (id: TextFieldId): Item => ({ kind: 'text', id });
const list = (id: ListId): Item => ({ kind: 'list', id });
const button = (id: ButtonId): Item => ({
  kind: 'button',
  id,
});

/** the plan erases what is on the LUN: consent takes the cluster's name, as on the command line */
export const erases = (plan: PlanSummary) => plan.verdict === 'wiped' || plan.verdict === 'reinstall';

/** the chosen LUN holds what is not this cluster's: the plan is asked to wipe it */
export const lunWiped = (state: State) =>
  state.lun?.owner === 'foreign' ||
  (state.lun?.owner === 'cluster' && state.lun.cluster !== state.spec.cluster.name);

export function itemsOf(state: State, screen: ScreenId = state.screen): Item[] {
  switch (screen) {
    case 'welcome':
      return [button('continue')];
    case 'done':
      return [button('usb'), button('continue')];
    case 'network':
      return [
        list('interfaces'),
        { kind: 'toggle', id: 'addressing' },
        ...(state.addressing === 'static' ? [text('fabric.cidr')] : []),
        text('fabric.modules'),
        button('continue'),
      ];
    case 'san':
      return [
        text('san.portals'),
        text('san.chap.user'),
        text('secret'),
        button('discover'),
        list('luns'),
        { kind: 'toggle', id: 'transport' },
        button('continue'),
      ];
    case 'cluster':
      return [
        text('cluster.name'),
        text('cluster.domain'),
        text('network.cidr'),
        list('blades'),
        text('range'),
        text('firstMac'),
        button('add-blades'),
        ...(newMacs(state.enlisted, state.nodes).length > 0 ? [list('enlisted')] : []),
        ...(state.offer ? [button('import')] : []),
        button('continue'),
      ];
    case 'images':
      return [list('images'), button('continue')];
    case 'review': {
      const plan = state.plan.state === 'seen' ? state.plan.value : undefined;
      return [
        ...(plan ? [list('plan')] : []),
        ...(plan && erases(plan) ? [text('confirm')] : []),
        button('install'),
      ];
    }
    case 'progress':
      return [];
  }
}

/** where the focus goes on arriving at a screen */
export function firstItem(state: State): ItemId | undefined {
  if (state.screen === 'review') {
    const plan = state.plan.state === 'seen' ? state.plan.value : undefined;
    return plan && erases(plan) ? 'confirm' : 'install';
  }
  return itemsOf(state)[0]?.id;
}

export function listLength(state: State, id: ListId): number {
  switch (id) {
    case 'interfaces':
      return state.network.state === 'seen' ? state.network.value.interfaces.length : 0;
    case 'luns':
      return state.discovery.state === 'seen' ? state.discovery.value.luns.length : 0;
    case 'blades':
      return state.nodes.length;
    case 'enlisted':
      return newMacs(state.enlisted, state.nodes).length;
    case 'images':
      return imageOffers(state.dvd).length;
    case 'plan':
      return state.plan.state === 'seen' ? state.plan.value.lines.length : 0;
  }
}

/** the place in cluster.yaml an item stands for; its problems are told relative to it */
const PLACES: Partial<Record<ItemId, ProblemPath>> = {
  interfaces: ['fabric', 'sif'],
  luns: ['san'],
  transport: ['san', 'transport'],
  secret: ['san', 'chap'],
  blades: ['nodes'],
  images: ['images', 'vc'],
};

const placeOf = (item: ItemId): ProblemPath | undefined =>
  PLACES[item] ?? (item in TEXT_FIELDS ? TEXT_FIELDS[item as TextFieldId].path : undefined);

function told(problem: Problem, place: ProblemPath | undefined): string {
  if (place && under(problem.path, place)) return problemsAt([problem], place)[0] ?? problem.message;
  return `${pathText(problem.path)}: ${problem.message}`;
}

/** what the installer itself finds wrong, for what the spec cannot see */
function ownProblems(state: State, item: ItemId): string[] {
  switch (item) {
    case 'interfaces': {
      return state.sif ? [] : ['choose the interface that reaches the SAN: Enter on its row'];
    }
    case 'secret': {
      const user = state.values['san.chap.user'].trim();
      const secret = state.values.secret;
      if (!user) return secret ? ['a secret needs a CHAP user: give the user, or clear the secret'] : [];
      if (!secret) return [`missing (expected the CHAP secret of ${user}; it is never shown)`];
      return secret.length < MIN_SECRET_LENGTH
        ? [`shorter than ${MIN_SECRET_LENGTH} characters (most targets want 12 to 16)`]
        : [];
    }
    case 'luns': {
      if (state.lun) return [];
      const { discovery } = state;
      if (discovery.state === 'idle') return ['press Discover to list the LUNs of the SAN, then choose one'];
      if (discovery.state === 'asking') return ['wait for the SAN to answer, then choose a LUN'];
      if (discovery.state === 'failed') return ['no LUN chosen: the discovery failed (above)'];
      return discovery.value.luns.length === 0
        ? ["the SAN exports no LUN to this installer (check the target's ACL)"]
        : ['choose the LUN to install on: Enter on its row'];
    }
    default:
      return [];
  }
}

/** every problem at an item, shown or not yet */
export function itemProblems(state: State, item: ItemId): string[] {
  // until a LUN is chosen, "choose a LUN" says all that the spec's san.target would
  const fromSpec =
    item === 'luns' && !state.lun ? [] : state.check.problems.filter((p) => itemOfPath(p.path) === item);
  return [...ownProblems(state, item), ...fromSpec.map((p) => told(p, placeOf(item)))];
}

const isVisible = (state: State, item: ItemId) =>
  state.touched.includes(item) || state.attempted.includes(screenOfItem(item));

/** the problems shown at an item: once it was touched, or Continue was pressed on its screen */
export const shownProblems = (state: State, item: ItemId) =>
  isVisible(state, item) ? itemProblems(state, item) : [];

/** the spec's problems of one blade entry, shown under its row */
export function entryProblems(state: State, index: number): string[] {
  if (!isVisible(state, 'blades')) return [];
  return problemsAt(
    state.check.problems.filter((p) => p.path[0] === 'nodes' && p.path[1] === index),
    ['nodes', index],
  );
}

/** the spec's problems of the blade list as a whole (none at all), shown under it */
export function bladeListProblems(state: State): string[] {
  if (!isVisible(state, 'blades')) return [];
  return state.check.problems
    .filter((p) => p.path.length === 1 && p.path[0] === 'nodes')
    .map((p) => p.message);
}

/** the items of these screens that hold a problem: Continue stops at the first one */
export function blockingItems(state: State, screens: readonly ScreenId[]): ItemId[] {
  return screens.flatMap((screen) =>
    itemsOf(state, screen)
      .map((i) => i.id)
      .filter((id) => itemProblems(state, id).length > 0),
  );
}

const LABELS: Partial<Record<ItemId, string>> = {
  interfaces: 'interface',
  addressing: 'addressing',
  luns: 'LUN',
  transport: 'transport',
  blades: 'blades',
  images: 'images',
};

export const itemLabel = (item: ItemId) =>
  LABELS[item] ?? (item in TEXT_FIELDS ? TEXT_FIELDS[item as TextFieldId].label : item);

/** problems on screens behind this one, and those no item shows: "SAN, portals: ..." */
export function problemsElsewhere(state: State): string[] {
  const here = WIZARD.indexOf(state.screen);
  const before = here === -1 ? [] : WIZARD.slice(0, state.screen === 'review' ? here + 1 : here);
  const items = blockingItems(state, before).filter((id) => screenOfItem(id) !== state.screen);
  const general = state.check.problems.filter((p) => itemOfPath(p.path) === undefined);
  return [
    ...items.flatMap((id) =>
      itemProblems(state, id).map((m) => `${SCREEN_TITLES[screenOfItem(id)]}, ${itemLabel(id)}: ${m}`),
    ),
    ...general.map((p) => `${pathText(p.path) || 'cluster.yaml'}: ${p.message}`),
  ];
}

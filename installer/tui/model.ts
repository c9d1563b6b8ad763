/**
 * The guided installer as a model: what each intent does to the state (state.ts). Pure: no
 * terminal, no engine. What needs the engine (look at the network, discover the SAN, plan, apply)
 * is a request in the state, which the App carries out through the engine port and whose answer
 * comes back as an intent. So the whole dialogue is testable by feeding intents.
 */
import type { InstallEvent } from '../engine/install.ts';
import { entryNames, importBlades, newMacs, nextBladeName, rangeEntryProblems } from './blades.ts';
import { checkDraft, specYaml } from './draft.ts';
import {
  type ButtonId,
  type ItemId,
  type ListId,
  type ScreenId,
  TEXT_FIELDS,
  type TextFieldId,
  type ToggleId,
  WIZARD,
} from './fields.ts';
import { blockingItems, erases, firstItem, itemsOf, listLength, lunWiped } from './form.ts';
import {
  type Failure,
  type InstallOutcome,
  type InterfaceInfo,
  isIpoib,
  type NetworkObservation,
  type PlanSummary,
  type SanDiscovery,
} from './port.ts';
import { type InstallProgress, onInstallEvent, startProgress } from './progress.ts';
import { draftOf, imageOffers, type RequestKind, type State } from './state.ts';

export type Intent =
  | { type: 'next' }
  | { type: 'back' }
  | { type: 'focus'; delta: 1 | -1 }
  | { type: 'focus-on'; item: ItemId }
  | { type: 'edit'; field: TextFieldId; value: string }
  | { type: 'type'; field: TextFieldId; text: string }
  | { type: 'erase'; field: TextFieldId }
  | { type: 'move'; delta: number }
  | { type: 'choose'; list: ListId; index: number }
  | { type: 'toggle'; target: ToggleId }
  | { type: 'toggle'; target: 'images'; index: number }
  | { type: 'press'; button: ButtonId }
  | { type: 'remove'; index: number }
  | { type: 'confirm' }
  | { type: 'refresh' }
  | { type: 'help' }
  | { type: 'close' }
  | { type: 'shell' }
  | { type: 'shell-returned'; status: number }
  | { type: 'interrupt' }
  | { type: 'answer'; yes: boolean }
  | { type: 'toggle-log' }
  // what the world says, through the App
  | { type: 'network-observed'; observation: NetworkObservation }
  | { type: 'network-failed'; failure: Failure }
  | { type: 'san-discovered'; discovery: SanDiscovery }
  | { type: 'san-failed'; failure: Failure }
  | { type: 'usb-saved'; where: string }
  | { type: 'usb-failed'; failure: Failure }
  | { type: 'planned'; plan: PlanSummary }
  | { type: 'plan-refused'; failure: Failure }
  | { type: 'install-event'; event: InstallEvent; at: number }
  | { type: 'install-finished'; outcome: InstallOutcome; at: number }
  | { type: 'install-failed'; failure: Failure; at: number }
  | { type: 'tick'; at: number }
  | { type: 'enlisted'; macs: string[] }
  | { type: 'import-offered'; label: string; text: string };

// ---- helpers ------------------------------------------------------------------------------------

const ask = (state: State, request: RequestKind): State => ({
  ...state,
  request: { ...request, seq: (state.request?.seq ?? 0) + 1 },
});

const touch = (state: State, ...items: ItemId[]): State => ({
  ...state,
  touched: [...new Set([...state.touched, ...items])],
});

const notice = (state: State, item: ItemId, text: string, error = true): State => ({
  ...state,
  notices: { ...state.notices, [item]: { text, error } },
});

function withoutNotice(state: State, item: ItemId): State {
  const { [item]: _, ...notices } = state.notices;
  return { ...state, notices };
}

/** the inputs changed: build the spec again and check it */
function rebuilt(state: State): State {
  const spec = draftOf(state);
  return { ...state, spec, check: checkDraft(spec) };
}

/** the focus stays on an item that exists, each cursor on a row that exists */
function settled(state: State): State {
  const items = itemsOf(state);
  const focus = items.some((i) => i.id === state.focus) ? state.focus : items[0]?.id;
  const cursors = { ...state.cursors };
  for (const list of Object.keys(cursors) as ListId[]) {
    cursors[list] = Math.max(0, Math.min(cursors[list] ?? 0, listLength(state, list) - 1));
  }
  return { ...state, focus, cursors };
}

function goTo(state: State, screen: ScreenId): State {
  const arrived = { ...state, screen, focus: undefined };
  const focused = { ...arrived, focus: firstItem(arrived) };
  if (screen !== 'review') return focused;
  return requestPlan({ ...focused, values: { ...focused.values, confirm: '' } });
}

function requestPlan(state: State): State {
  const { spec } = state.check;
  if (!state.check.valid || !spec || blockingItems(state, WIZARD).length > 0) {
    return {
      ...state,
      plan: { state: 'idle' },
      attempted: [...new Set([...state.attempted, 'review' as const])],
    };
  }
  const secret = state.values.secret;
  return ask(
    { ...state, plan: { state: 'asking' } },
    {
      kind: 'plan',
      request: { spec, wipe: lunWiped(state), ...(spec.san.chap && secret && { chapSecret: secret }) },
    },
  );
}

// ---- the intents --------------------------------------------------------------------------------

function next(state: State): State {
  const at = WIZARD.indexOf(state.screen);
  if (state.screen === 'review') return confirm(state);
  if (state.screen === 'done') return ask(state, { kind: 'quit' });
  if (at === -1) return state;
  const attempted = { ...state, attempted: [...new Set([...state.attempted, state.screen])] };
  const [blocking] = blockingItems(attempted, [state.screen]);
  if (blocking) return { ...attempted, focus: blocking };
  const following = WIZARD[at + 1];
  return following ? goTo(attempted, following) : attempted;
}

function back(state: State): State {
  const at = WIZARD.indexOf(state.screen);
  const previous = at > 0 ? WIZARD[at - 1] : undefined;
  return previous ? { ...state, screen: previous, focus: firstItem({ ...state, screen: previous }) } : state;
}

function moveFocus(state: State, delta: 1 | -1): State {
  const items = itemsOf(state);
  if (items.length === 0) return state;
  const at = items.findIndex((i) => i.id === state.focus);
  const to = (at + delta + items.length) % items.length;
  return { ...state, focus: items[to]?.id };
}

function edit(state: State, field: TextFieldId, value: string): State {
  const edited = touch({ ...state, values: { ...state.values, [field]: value } }, field);
  const cleared = ['range', 'firstMac', 'confirm'].includes(field) ? withoutNotice(edited, field) : edited;
  return TEXT_FIELDS[field].path ? rebuilt(cleared) : cleared;
}

/** what a chosen interface needs loaded: its driver, and IPoIB for an Infiniband one */
function suggestedModules(iface: InterfaceInfo): string {
  const modules = [...(isIpoib(iface) ? ['ib_ipoib'] : []), ...(iface.driver ? [iface.driver] : [])];
  return [...new Set(modules)].join(', ');
}

function choose(state: State, list: ListId, index: number): State {
  const at = { ...state, cursors: { ...state.cursors, [list]: index } };
  switch (list) {
    case 'interfaces': {
      const iface = state.network.state === 'seen' ? state.network.value.interfaces[index] : undefined;
      if (!iface) return at;
      const modules =
        state.values['fabric.modules'].trim() === '' && !state.touched.includes('fabric.modules')
          ? suggestedModules(iface)
          : state.values['fabric.modules'];
      return rebuilt(
        touch({ ...at, sif: iface.name, values: { ...at.values, 'fabric.modules': modules } }, 'interfaces'),
      );
    }
    case 'luns': {
      const lun = state.discovery.state === 'seen' ? state.discovery.value.luns[index] : undefined;
      return lun ? rebuilt(touch({ ...at, lun }, 'luns')) : at;
    }
    case 'blades':
      return editBlade(at, index);
    case 'enlisted': {
      const mac = newMacs(state.enlisted, state.nodes)[index];
      if (!mac) return at;
      return settled(
        rebuilt(
          touch({ ...at, nodes: [...state.nodes, { name: nextBladeName(state.nodes), mac }] }, 'blades'),
        ),
      );
    }
    case 'images':
      return toggleImage(at, index);
    case 'plan':
      return at;
  }
}

/** a blade entry goes back into the range fields, to be changed and added again */
function editBlade(state: State, index: number): State {
  const entry = state.nodes[index];
  if (!entry) return state;
  if (Object.keys(entry).some((key) => key !== 'name' && key !== 'mac')) {
    return notice(
      state,
      'blades',
      `${entry.name} has more than a name and a MAC: remove it (Del) and add it again, or edit cluster.yaml later`,
    );
  }
  const nodes = state.nodes.filter((_, i) => i !== index);
  const values = { ...state.values, range: entry.name, firstMac: entry.mac ?? '' };
  return settled(rebuilt({ ...state, nodes, values, focus: 'range' }));
}

function toggleImage(state: State, index: number): State {
  const image = imageOffers(state.dvd)[index]?.name;
  if (!image) return state;
  const chosen = state.images.includes(image)
    ? state.images.filter((i) => i !== image)
    : imageOffers(state.dvd)
        .map((m) => m.name)
        .filter((name) => name === image || state.images.includes(name));
  return rebuilt(touch({ ...state, images: chosen, cursors: { ...state.cursors, images: index } }, 'images'));
}

function toggle(state: State, target: ToggleId): State {
  const toggled =
    target === 'addressing'
      ? { ...state, addressing: state.addressing === 'dhcp' ? ('static' as const) : ('dhcp' as const) }
      : { ...state, transport: state.transport === 'tcp' ? ('iser' as const) : ('tcp' as const) };
  return settled(rebuilt(touch(toggled, target)));
}

function press(state: State, button: ButtonId): State {
  switch (button) {
    case 'usb':
      return state.usb.state === 'asking'
        ? state
        : ask({ ...state, usb: { state: 'asking' } }, { kind: 'save-usb', text: specYaml(state.spec) });
    case 'discover':
      return discover(state);
    case 'add-blades':
      return addBlades(state);
    case 'import':
      return importOffered(state);
    case 'continue':
      return next(state);
    case 'install':
      return confirm(state);
  }
}

function discover(state: State): State {
  const touched = touch(state, 'san.portals', 'san.chap.user', 'secret');
  if (
    blockingItems(touched, ['san']).some(
      (i) => i === 'san.portals' || i === 'san.chap.user' || i === 'secret',
    )
  ) {
    return touched;
  }
  const user = state.spec.san.chap?.user;
  const chap = user ? { chap: { user, secret: state.values.secret } } : {};
  const { sif, modules, cidr } = state.spec.fabric;
  // the live system's NICs are down until something brings them up: the portals answer through sif
  const fabric = sif ? { fabric: { sif, modules, ...(cidr && { cidr }) } } : {};
  return ask(
    { ...touched, discovery: { state: 'asking' } },
    { kind: 'discover-san', request: { portals: state.spec.san.portals, ...chap, ...fabric } },
  );
}

function addBlades(state: State): State {
  const { range, firstMac } = state.values;
  const problems = rangeEntryProblems(range, firstMac);
  let checked = withoutNotice(withoutNotice(state, 'range'), 'firstMac');
  if (problems.range) checked = notice(checked, 'range', problems.range);
  if (problems.firstMac) checked = notice(checked, 'firstMac', problems.firstMac);
  if (problems.range || problems.firstMac)
    return { ...checked, focus: problems.range ? 'range' : 'firstMac' };
  const nodes = [...state.nodes, { name: range.trim(), mac: firstMac.trim() }];
  const added = {
    ...checked,
    nodes,
    values: { ...checked.values, range: '', firstMac: '' },
    focus: 'range' as const,
  };
  return settled(rebuilt(touch(added, 'blades')));
}

function importOffered(state: State): State {
  if (!state.offer) return state;
  const result = importBlades(state.offer.text);
  if (!result.ok) return notice(state, 'import', `${state.offer.label}: ${result.reason}`);
  const count = result.entries.reduce((sum, e) => sum + (entryNames(e)?.length ?? 1), 0);
  const imported = { ...state, nodes: [...state.nodes, ...result.entries] };
  return settled(
    rebuilt(
      touch(
        notice(imported, 'import', `${count} blades imported from ${state.offer.label}`, false),
        'blades',
      ),
    ),
  );
}

function confirm(state: State): State {
  if (state.screen !== 'review') return state;
  if (state.plan.state !== 'seen') return notice(state, 'install', 'there is no plan to install yet');
  if (!state.check.valid || blockingItems(state, WIZARD).length > 0) {
    return notice(state, 'install', 'the spec has problems (listed above): Esc goes back to them');
  }
  const plan = state.plan.value;
  const name = state.spec.cluster.name ?? '';
  if (erases(plan) && state.values.confirm.trim() !== name) {
    return {
      ...notice(state, 'confirm', `type the cluster name, ${name}, to erase the LUN and install`),
      focus: 'confirm',
    };
  }
  return ask(
    { ...state, screen: 'progress', focus: undefined, install: startProgress(plan.actions) },
    { kind: 'apply' },
  );
}

function interrupt(state: State): State {
  if (state.overlay === 'ask-quit' || state.overlay === 'ask-stop') return state;
  const running = state.install?.state === 'running' || state.install?.state === 'stopping';
  return { ...state, overlay: running ? 'ask-stop' : 'ask-quit' };
}

function answer(state: State, yes: boolean): State {
  const { overlay: _, ...closed } = state;
  if (!yes) return closed;
  if (state.overlay === 'ask-quit') return ask(closed, { kind: 'quit' });
  if (state.overlay === 'ask-stop' && closed.install) {
    return ask({ ...closed, install: { ...closed.install, state: 'stopping' } }, { kind: 'stop' });
  }
  return closed;
}

/** the LUN a spec brought with --spec names (san.target, san.lun: 1 when not written) */
function wantedLun(kept: State['kept']): { target: string; lun: number } | undefined {
  const san = kept?.san as { target?: unknown; lun?: unknown } | undefined;
  if (typeof san?.target !== 'string') return undefined;
  return { target: san.target, lun: typeof san.lun === 'number' ? san.lun : 1 };
}

function afterDiscovery(state: State, discovery: SanDiscovery): State {
  // the LUN chosen before, or else the one the spec names: chosen again, the cursor on it
  const wanted = state.lun ?? wantedLun(state.kept);
  const at = discovery.luns.findIndex((l) => l.target === wanted?.target && l.lun === wanted?.lun);
  const still = discovery.luns[at];
  const { lun: _, ...rest } = state;
  const seen = {
    ...rest,
    ...(still && { lun: still }),
    discovery: { state: 'seen' as const, value: discovery },
  };
  const found = settled(rebuilt({ ...seen, cursors: { ...seen.cursors, luns: Math.max(at, 0) } }));
  return discovery.luns.length > 0 && state.screen === 'san' ? { ...found, focus: 'luns' } : found;
}

function afterObservation(state: State, observation: NetworkObservation): State {
  const sif = observation.interfaces.some((i) => i.name === state.sif) ? state.sif : undefined;
  const portals =
    state.values['san.portals'].trim() === '' && observation.portal
      ? observation.portal.portal
      : state.values['san.portals'];
  const { sif: _, ...rest } = state;
  return settled(
    rebuilt({
      ...rest,
      ...(sif && { sif }),
      values: { ...state.values, 'san.portals': portals },
      network: { state: 'seen', value: observation },
    }),
  );
}

function installed(state: State, change: (p: InstallProgress) => InstallProgress): State {
  return state.install ? { ...state, install: change(state.install) } : state;
}

/** under a question or the help, the keyboard does nothing but answer or close it */
const FROM_THE_KEYBOARD = new Set<Intent['type']>([
  'next',
  'back',
  'focus',
  'focus-on',
  'edit',
  'type',
  'erase',
  'move',
  'choose',
  'toggle',
  'press',
  'remove',
  'confirm',
  'refresh',
  'shell',
  'toggle-log',
]);

function withoutShellStatus(state: State): State {
  if (state.shellStatus === undefined) return state;
  const { shellStatus: _, ...rest } = state;
  return rest;
}

export function reduce(before: State, intent: Intent): State {
  if (before.overlay && FROM_THE_KEYBOARD.has(intent.type)) return before;
  // the shell's exit status stays on the key line until the next key
  const state = FROM_THE_KEYBOARD.has(intent.type) ? withoutShellStatus(before) : before;
  switch (intent.type) {
    case 'next':
      return next(state);
    case 'back':
      return back(state);
    case 'focus':
      return moveFocus(state, intent.delta);
    case 'focus-on':
      return itemsOf(state).some((i) => i.id === intent.item) ? { ...state, focus: intent.item } : state;
    case 'edit':
      return edit(state, intent.field, intent.value);
    case 'type':
      return edit(state, intent.field, state.values[intent.field] + intent.text);
    case 'erase':
      return edit(state, intent.field, state.values[intent.field].slice(0, -1));
    case 'move': {
      const list = itemsOf(state).find((i) => i.id === state.focus && i.kind === 'list')?.id as
        | ListId
        | undefined;
      if (!list) return state;
      const to = (state.cursors[list] ?? 0) + intent.delta;
      return settled({ ...state, cursors: { ...state.cursors, [list]: Math.max(0, to) } });
    }
    case 'choose':
      return choose(state, intent.list, intent.index);
    case 'toggle':
      return intent.target === 'images' ? toggleImage(state, intent.index) : toggle(state, intent.target);
    case 'press':
      return press(state, intent.button);
    case 'remove': {
      const nodes = state.nodes.filter((_, i) => i !== intent.index);
      return settled(rebuilt(touch({ ...state, nodes }, 'blades')));
    }
    case 'confirm':
      return confirm(state);
    case 'refresh':
      return ask({ ...state, network: { state: 'asking' } }, { kind: 'observe-network' });
    case 'help':
      if (state.overlay === 'help') return answer(state, false);
      return state.overlay ? state : { ...state, overlay: 'help' };
    case 'close':
      return state.overlay === 'help' ? answer(state, false) : state;
    case 'shell':
      return ask(state, { kind: 'shell' });
    case 'shell-returned':
      return { ...state, shellStatus: intent.status };
    case 'interrupt':
      return interrupt(state);
    case 'answer':
      return answer(state, intent.yes);
    case 'toggle-log':
      return installed(state, (p) => ({ ...p, showLog: !p.showLog }));
    case 'network-observed':
      return afterObservation(state, intent.observation);
    case 'network-failed':
      return { ...state, network: { state: 'failed', failure: intent.failure } };
    case 'san-discovered':
      return afterDiscovery(state, intent.discovery);
    case 'san-failed':
      return settled({ ...state, discovery: { state: 'failed', failure: intent.failure } });
    case 'usb-saved':
      return settled({ ...state, usb: { state: 'seen', value: intent.where } });
    case 'usb-failed':
      return settled({ ...state, usb: { state: 'failed', failure: intent.failure } });
    case 'planned': {
      const seen = {
        ...state,
        plan: { state: 'seen' as const, value: intent.plan },
        cursors: { ...state.cursors, plan: 0 },
      };
      return { ...seen, focus: erases(intent.plan) ? 'confirm' : 'install' };
    }
    case 'plan-refused':
      return settled({ ...state, plan: { state: 'failed', failure: intent.failure } });
    case 'install-event':
      return installed(state, (p) => onInstallEvent(p, intent.event, intent.at));
    case 'install-finished': {
      const finished = installed(state, (p) => ({ ...p, state: 'finished', now: intent.at }));
      return { ...finished, outcome: intent.outcome, screen: 'done', focus: 'continue' };
    }
    case 'install-failed':
      return installed(state, (p) => ({
        ...p,
        state: p.state === 'stopping' ? 'stopped' : 'failed',
        failure: intent.failure,
        now: intent.at,
      }));
    case 'tick':
      return installed(state, (p) =>
        p.state === 'running' || p.state === 'stopping' ? { ...p, now: intent.at } : p,
      );
    case 'enlisted':
      return settled({ ...state, enlisted: intent.macs });
    case 'import-offered':
      return settled({ ...state, offer: { label: intent.label, text: intent.text } });
  }
}

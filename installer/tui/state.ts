/**
 * The guided installer's state: the screen, the focus, what was typed and chosen, what the engine
 * answered, and the spec built from it all (checked by the spec's own checker). The intents that
 * change it are in model.ts.
 */
import { Images } from '../../core/spec/schema.ts';
import type { Manifest } from '../../images/manifest.ts';
import { CHAP_SECRET_REF, checkDraft, type DraftCheck, type NodeDraft, type SpecDraft } from './draft.ts';
import type { ItemId, ListId, ScreenId, TextFieldId } from './fields.ts';
import type {
  Failure,
  InstallOutcome,
  LunSummary,
  NetworkObservation,
  PlanRequest,
  PlanSummary,
  SanDiscovery,
  SanRequest,
} from './port.ts';
import type { InstallProgress } from './progress.ts';

/** the OS image of the blades is the spec's default one; the Images screen offers the others */
export const NODE_IMAGE = Images.parse({}).node;

/** something asked of the engine: not yet, waiting, answered, or failed */
export type Asked<T> =
  | { state: 'idle' }
  | { state: 'asking' }
  | { state: 'seen'; value: T }
  | { state: 'failed'; failure: Failure };

export type Overlay = 'help' | 'ask-quit' | 'ask-stop';

export type RequestKind =
  | { kind: 'observe-network' }
  | { kind: 'discover-san'; request: SanRequest }
  | { kind: 'plan'; request: PlanRequest }
  | { kind: 'apply' }
  | { kind: 'stop' }
  | { kind: 'shell' }
  /** cluster.yaml as the screens made it, onto a USB stick */
  | { kind: 'save-usb'; text: string }
  | { kind: 'quit' };

/** what the App is to do for the model; seq tells a new request from one already carried out */
export type Request = RequestKind & { seq: number };

export interface Notice {
  text: string;
  error: boolean;
}

export interface State {
  screen: ScreenId;
  focus: ItemId | undefined;
  /** the row under the cursor of each list (for the plan: the first line shown) */
  cursors: Partial<Record<ListId, number>>;
  /** every text field as typed; the secret too, which goes to the engine only */
  values: Record<TextFieldId, string>;
  sif?: string;
  addressing: 'dhcp' | 'static';
  transport: 'tcp' | 'iser';
  lun?: LunSummary;
  nodes: NodeDraft[];
  /** the virtual-cluster images chosen */
  images: string[];
  /** the DVD's image manifests, by name */
  dvd: Record<string, Manifest>;
  /** cluster.yaml being built, and what the spec's checker says of it */
  spec: SpecDraft;
  /** the spec brought with --spec FILE, as written: what the screens do not edit is kept from it */
  kept?: Record<string, unknown>;
  check: DraftCheck;
  /** items whose problems show before Continue is pressed */
  touched: ItemId[];
  /** screens on which Continue was pressed: all their problems show */
  attempted: ScreenId[];
  network: Asked<NetworkObservation>;
  discovery: Asked<SanDiscovery>;
  /** cluster.yaml saved to a USB stick (Done): where, in a line */
  usb: Asked<string>;
  plan: Asked<PlanSummary>;
  /** MACs that appeared on the network (DHCP requests of blades not in the spec) */
  enlisted: string[];
  /** blades the administrator brought as text (a file on a USB stick), offered for import */
  offer?: { label: string; text: string };
  /** what the installer itself says at an item: a range that does not expand, an import, ... */
  notices: Partial<Record<ItemId, Notice>>;
  install?: InstallProgress;
  outcome?: InstallOutcome;
  overlay?: Overlay;
  request?: Request;
  /** the exit status of the last `!` shell, shown on the key line until the next key */
  shellStatus?: number;
}

const EMPTY_VALUES: Record<TextFieldId, string> = {
  'fabric.cidr': '',
  'fabric.modules': '',
  'san.portals': '',
  'san.chap.user': '',
  secret: '',
  'cluster.name': '',
  'cluster.domain': '',
  'network.cidr': '',
  range: '',
  firstMac: '',
  confirm: '',
};

/** the spec's default cluster network, shown filled in */
const DEFAULT_CLUSTER_NETWORK = '10.42.0.0/24';

type Inputs = Pick<
  State,
  'values' | 'sif' | 'addressing' | 'transport' | 'lun' | 'nodes' | 'images' | 'kept'
>;

export function draftOf(inputs: Inputs): SpecDraft {
  const text = (id: TextFieldId) => inputs.values[id].trim() || undefined;
  const words = (id: TextFieldId) => inputs.values[id].split(/[\s,]+/).filter(Boolean);
  const user = text('san.chap.user');
  const { lun } = inputs;
  return {
    cluster: { name: text('cluster.name'), domain: text('cluster.domain') },
    san: {
      portals: words('san.portals'),
      target: lun?.target,
      lun: lun?.lun,
      transport: inputs.transport,
      chap: user === undefined ? undefined : { user, secret: CHAP_SECRET_REF },
      size: lun?.bytes,
    },
    fabric: {
      sif: inputs.sif,
      modules: words('fabric.modules'),
      cidr: inputs.addressing === 'static' ? text('fabric.cidr') : undefined,
    },
    network: { cidr: text('network.cidr') },
    nodes: inputs.nodes,
    images: { vc: inputs.images },
    ...(inputs.kept && { kept: inputs.kept }),
  };
}

/** the virtual-cluster images the DVD carries */
export const imageOffers = (dvd: Record<string, Manifest>) =>
  Object.values(dvd)
    .filter((m) => m.name !== NODE_IMAGE)
    .sort((a, b) => a.name.localeCompare(b.name));

export function initialState(dvd: Record<string, Manifest> = {}): State {
  const inputs: Inputs = {
    values: { ...EMPTY_VALUES, 'network.cidr': DEFAULT_CLUSTER_NETWORK },
    addressing: 'dhcp',
    transport: 'tcp',
    nodes: [],
    images: imageOffers(dvd).map((m) => m.name),
  };
  const spec = draftOf(inputs);
  return {
    ...inputs,
    screen: 'welcome',
    focus: 'continue',
    cursors: {},
    dvd,
    spec,
    check: checkDraft(spec),
    touched: [],
    attempted: [],
    network: { state: 'asking' },
    discovery: { state: 'idle' },
    usb: { state: 'idle' },
    plan: { state: 'idle' },
    enlisted: [],
    notices: {},
    request: { kind: 'observe-network', seq: 1 },
  };
}

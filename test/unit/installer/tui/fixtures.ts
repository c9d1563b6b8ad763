/**
 * What the guided installer's tests feed it: a machine's interfaces, a SAN with an empty and a
 * foreign LUN (the engine's recorded LUNs, described by the engine's own describeContents), and
 * a port that answers like the engine would — its plans are planInstall's on the recorded LUNs.
 */
import { UserError } from '../../../../core/errors.ts';
import type { EventSink } from '../../../../core/exec/events.ts';
import { describeContents, describeLun } from '../../../../installer/engine/classify.ts';
import { describePlan, type InstallEvent } from '../../../../installer/engine/install.ts';
import { type LunObservation, parseLunObservation } from '../../../../installer/engine/observation.ts';
import { planInstall } from '../../../../installer/engine/plan.ts';
import { type Intent, reduce } from '../../../../installer/tui/model.ts';
import type {
  EnginePort,
  InstallOutcome,
  LunSummary,
  NetworkObservation,
  PlanRequest,
  PlanSummary,
  SanDiscovery,
  SanRequest,
} from '../../../../installer/tui/port.ts';
import { initialState, type State } from '../../../../installer/tui/state.ts';
import { exampleImages, recorded } from '../engine/fixtures/recorded.ts';

export const IMAGES = exampleImages();

/** a CHAP secret: no frame may ever show it */
export const SECRET = 'Tr0ub4dor&3-chap';

export const NETWORK: NetworkObservation = {
  interfaces: [
    { name: 'eth0', link: 'up', driver: 'virtio_net', mac: '52:54:00:12:34:56', addresses: ['10.0.2.15/24'] },
    {
      name: 'ib0',
      link: 'up',
      driver: 'mlx5_core',
      // an IPoIB hardware address is 20 bytes
      mac: '80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:0b:0c',
    },
    { name: 'eth1', link: 'down', driver: 'e1000e', mac: '52:54:00:ab:cd:ef' },
  ],
  portal: { portal: '10.0.2.2:3260', answers: true },
};

export const TARGET = 'iqn.2026-11.org.virtualinux:lab.san';

const observed = (name: 'fresh' | 'foreign'): LunObservation => parseLunObservation(recorded(name));

/** the recorded LUNs are loop devices: the identity is tgtd's, as a lab LUN reports it */
const summary = (lun: number, name: 'fresh' | 'foreign'): LunSummary => {
  const observation = observed(name);
  const contents = describeContents(observation);
  return {
    target: TARGET,
    lun,
    bytes: observation.bytes,
    device: observation.device,
    vendor: 'IET',
    model: 'VIRTUAL-DISK',
    owner: contents.length === 0 ? 'empty' : 'foreign',
    contents,
  };
};

export const FRESH_LUN = summary(1, 'fresh');
export const FOREIGN_LUN = summary(2, 'foreign');

export const DISCOVERY: SanDiscovery = {
  portals: [{ portal: '10.0.2.2:3260', answers: true }],
  luns: [FRESH_LUN, FOREIGN_LUN],
};

/** the plan the engine makes for a request on one of the recorded LUNs, as the Review shows it */
export function planSummary(request: PlanRequest, lun: LunSummary = FRESH_LUN): PlanSummary {
  const observation = observed(lun === FOREIGN_LUN ? 'foreign' : 'fresh');
  const plan = planInstall(request.spec, observation, {
    images: IMAGES,
    sharedVg: true,
    ...(request.wipe && { wipe: request.spec.cluster.name }),
  });
  const where = describeLun({ ...observation, vendor: 'IET', model: 'VIRTUAL-DISK' });
  return {
    lun: where,
    verdict: plan.verdict,
    lines: describePlan(plan, where),
    actions: plan.actions.map((a) => ({ id: a.id, description: a.description })),
  };
}

export const OUTCOME: InstallOutcome = {
  lun: '/dev/sdb (40 GiB, IET VIRTUAL-DISK)',
  created: ['volume group vl_lab (shared, sanlock)', 'img_node 4 GiB', 'node_node01 4 GiB', 'VLBOOT 512 MiB'],
  specSaved: 'vl_meta and /run/virtualinux/install/cluster.yaml',
};

/** a port that answers at once, or when the test says (apply waits for `finish` or an abort) */
export class RecordedPort implements EnginePort {
  readonly calls: string[] = [];
  readonly discoverRequests: SanRequest[] = [];
  readonly planRequests: PlanRequest[] = [];
  applySignal: AbortSignal | undefined;
  #finish: ((outcome: InstallOutcome) => void) | undefined;

  constructor(readonly events: InstallEvent[] = []) {}

  async observeNetwork(): Promise<NetworkObservation> {
    this.calls.push('observeNetwork');
    return NETWORK;
  }

  async discoverSan(request: SanRequest): Promise<SanDiscovery> {
    this.calls.push('discoverSan');
    this.discoverRequests.push(request);
    return DISCOVERY;
  }

  async plan(request: PlanRequest): Promise<PlanSummary> {
    this.calls.push('plan');
    this.planRequests.push(request);
    return planSummary(request, request.wipe ? FOREIGN_LUN : FRESH_LUN);
  }

  apply(events: EventSink<InstallEvent>, signal: AbortSignal): Promise<InstallOutcome> {
    this.calls.push('apply');
    this.applySignal = signal;
    for (const event of this.events) events.emit(event);
    return new Promise((resolve, reject) => {
      this.#finish = resolve;
      signal.addEventListener('abort', () => reject(new Error('stopped by the administrator')));
    });
  }

  finish(outcome: InstallOutcome = OUTCOME): void {
    this.#finish?.(outcome);
  }

  /** what was saved to the USB stick; none plugged in when `stick` is undefined */
  readonly saved: string[] = [];
  stick: string | undefined = '/dev/sdc1';

  async saveToUsb(specText: string): Promise<string> {
    this.calls.push('saveToUsb');
    if (!this.stick)
      throw new UserError('no USB stick to save cluster.yaml on', 'plug one in and press again');
    this.saved.push(specText);
    return `cluster.yaml saved as cluster.yaml on ${this.stick}; it can be unplugged`;
  }
}

export const feed = (state: State, ...intents: Intent[]) => intents.reduce(reduce, state);

/** a state with its last request already carried out, as an App would hold it */
export function answered(state: State): State {
  const { request: _, ...rest } = state;
  return rest;
}

/** the dialogue up to a screen, filled in as an administrator would for the lab cluster */
export function walkTo(screen: 'network' | 'san' | 'cluster' | 'images' | 'review', lun = FRESH_LUN): State {
  let s = feed(initialState(IMAGES), { type: 'network-observed', observation: NETWORK }, { type: 'next' });
  if (screen === 'network') return answered(s);
  s = feed(s, { type: 'choose', list: 'interfaces', index: 0 }, { type: 'next' });
  if (screen === 'san') return answered(s);
  s = feed(
    s,
    { type: 'edit', field: 'san.chap.user', value: 'lab' },
    { type: 'edit', field: 'secret', value: SECRET },
    { type: 'press', button: 'discover' },
    { type: 'san-discovered', discovery: DISCOVERY },
    { type: 'choose', list: 'luns', index: DISCOVERY.luns.indexOf(lun) },
    { type: 'next' },
  );
  if (screen === 'cluster') return answered(s);
  s = feed(
    s,
    { type: 'edit', field: 'cluster.name', value: 'lab' },
    { type: 'edit', field: 'range', value: 'node[01-03]' },
    { type: 'edit', field: 'firstMac', value: '52:54:00:42:00:01' },
    { type: 'press', button: 'add-blades' },
    { type: 'next' },
  );
  if (screen === 'images') return answered(s);
  return feed(s, { type: 'next' });
}

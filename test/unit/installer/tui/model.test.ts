/** The guided installer's model: the whole dialogue as intents, without a terminal or an engine. */
import { describe, expect, test } from 'vitest';
import type { InstallEvent } from '../../../../installer/engine/install.ts';
import { specYaml } from '../../../../installer/tui/draft.ts';
import { blockingItems, itemsOf, problemsElsewhere, shownProblems } from '../../../../installer/tui/form.ts';
import { reduce } from '../../../../installer/tui/model.ts';
import { initialState, type State } from '../../../../installer/tui/state.ts';
import {
  answered,
  DISCOVERY,
  FOREIGN_LUN,
  FRESH_LUN,
  feed,
  IMAGES,
  NETWORK,
  planSummary,
  SECRET,
  walkTo,
} from './fixtures.ts';

const GiB = 2 ** 30;

describe('the start and the walk through the screens', () => {
  test('it starts on Welcome and asks the engine to look at the network', () => {
    const state = initialState(IMAGES);
    expect(state.screen).toBe('welcome');
    expect(state.request).toEqual({ kind: 'observe-network', seq: 1 });
    expect(feed(state, { type: 'next' }).screen).toBe('network');
  });

  test('Esc goes back a screen and keeps what was typed; Welcome has nothing before it', () => {
    const san = feed(walkTo('san'), { type: 'edit', field: 'san.chap.user', value: 'lab' });
    const network = feed(san, { type: 'back' });
    expect(network.screen).toBe('network');
    expect(network.sif).toBe('eth0');
    const again = feed(network, { type: 'next' });
    expect(again.screen).toBe('san');
    expect(again.values['san.chap.user']).toBe('lab');
    expect(feed(initialState(), { type: 'back' }).screen).toBe('welcome');
  });

  test('Tab walks the items of the screen and comes round', () => {
    const state = walkTo('network');
    const ids = itemsOf(state).map((i) => i.id);
    expect(ids).toEqual(['interfaces', 'addressing', 'fabric.modules', 'continue']);
    let s = state;
    const seen = [s.focus];
    for (let i = 0; i < ids.length; i += 1) {
      s = reduce(s, { type: 'focus', delta: 1 });
      seen.push(s.focus);
    }
    expect(seen).toEqual([...ids, 'interfaces']);
    expect(reduce(state, { type: 'focus', delta: -1 }).focus).toBe('continue');
  });

  test('the whole walk builds the lab cluster as a spec the checker accepts', () => {
    const state = walkTo('review');
    expect(state.check.valid).toBe(true);
    expect(state.check.spec?.cluster.name).toBe('lab');
    expect(state.check.spec?.san.portals).toEqual([{ address: '10.0.2.2', port: 3260 }]);
    expect(state.check.spec?.nodes).toEqual([{ name: 'node[01-03]', mac: '52:54:00:42:00:01' }]);
    expect(state.request).toMatchObject({ kind: 'plan', request: { wipe: false, chapSecret: SECRET } });
  });
});

describe('Network', () => {
  test('Continue stops until the interface to the SAN is chosen, and says so at the list', () => {
    const state = feed(walkTo('network'), { type: 'next' });
    expect(state.screen).toBe('network');
    expect(state.focus).toBe('interfaces');
    expect(shownProblems(state, 'interfaces')).toEqual([
      'choose the interface that reaches the SAN: Enter on its row',
    ]);
  });

  test('choosing an interface makes it sif and suggests the modules it needs', () => {
    const eth0 = feed(walkTo('network'), { type: 'choose', list: 'interfaces', index: 0 });
    expect(eth0.spec.fabric).toMatchObject({ sif: 'eth0', modules: ['virtio_net'] });
    const ib0 = feed(walkTo('network'), { type: 'choose', list: 'interfaces', index: 1 });
    expect(ib0.spec.fabric).toMatchObject({ sif: 'ib0', modules: ['ib_ipoib', 'mlx5_core'] });
    const typed = feed(
      walkTo('network'),
      { type: 'edit', field: 'fabric.modules', value: 'mlx5_ib' },
      { type: 'choose', list: 'interfaces', index: 1 },
    );
    expect(typed.spec.fabric.modules).toEqual(['mlx5_ib']);
  });

  test("a static fabric asks for its network and shows the spec's own message under it", () => {
    const chosen = feed(walkTo('network'), { type: 'choose', list: 'interfaces', index: 0 });
    const static_ = feed(chosen, { type: 'toggle', target: 'addressing' });
    expect(itemsOf(static_).map((i) => i.id)).toContain('fabric.cidr');
    const bad = feed(
      static_,
      { type: 'edit', field: 'fabric.cidr', value: '10.10.0.1/24' },
      { type: 'next' },
    );
    expect(bad.screen).toBe('network');
    expect(shownProblems(bad, 'fabric.cidr')).toEqual([
      '"10.10.0.1/24" has host bits set (expected the network address: 10.10.0.0/24)',
    ]);
    const good = feed(bad, { type: 'edit', field: 'fabric.cidr', value: '10.10.0.0/24' }, { type: 'next' });
    expect(good.screen).toBe('san');
    expect(good.spec.fabric.cidr).toBe('10.10.0.0/24');
    // back to DHCP: the fabric network leaves the spec
    expect(
      feed(good, { type: 'back' }, { type: 'toggle', target: 'addressing' }).spec.fabric.cidr,
    ).toBeUndefined();
  });

  test('a module name the spec refuses is shown once the field was touched, not before', () => {
    const chosen = feed(walkTo('network'), { type: 'choose', list: 'interfaces', index: 0 });
    expect(shownProblems(chosen, 'fabric.modules')).toEqual([]);
    const typed = feed(chosen, { type: 'edit', field: 'fabric.modules', value: 'virtio_net, mlx5/ib' });
    expect(shownProblems(typed, 'fabric.modules')).toEqual([
      '"mlx5/ib" is not a kernel module name (expected e.g. virtio_net or ib_ipoib)',
    ]);
  });

  test('r looks at the network again; an interface that went away is no longer sif', () => {
    const chosen = feed(walkTo('network'), { type: 'choose', list: 'interfaces', index: 2 });
    const asked = feed(chosen, { type: 'refresh' });
    expect(asked.request?.kind).toBe('observe-network');
    const gone = feed(asked, {
      type: 'network-observed',
      observation: { interfaces: NETWORK.interfaces.slice(0, 2) },
    });
    expect(gone.sif).toBeUndefined();
  });
});

describe('SAN', () => {
  test('the portal named at boot is filled in', () => {
    expect(walkTo('san').values['san.portals']).toBe('10.0.2.2:3260');
  });

  test("Discover refuses a portal the spec would refuse, with the spec's message, and asks nothing", () => {
    const state = feed(
      walkTo('san'),
      { type: 'edit', field: 'san.portals', value: '10.0.2.2:99999' },
      { type: 'press', button: 'discover' },
    );
    expect(state.request).toBeUndefined();
    expect(shownProblems(state, 'san.portals')).toEqual([
      '"10.0.2.2:99999" is not a portal (expected ADDRESS or ADDRESS:PORT, e.g. 10.0.2.2:3260)',
    ]);
  });

  test('the CHAP secret goes to the engine, never into the spec', () => {
    const state = feed(
      walkTo('san'),
      { type: 'edit', field: 'san.chap.user', value: 'lab' },
      { type: 'edit', field: 'secret', value: SECRET },
      { type: 'press', button: 'discover' },
    );
    expect(state.request).toEqual({
      kind: 'discover-san',
      seq: expect.any(Number),
      request: {
        portals: ['10.0.2.2:3260'],
        chap: { user: 'lab', secret: SECRET },
        // the interface chosen on the Network screen, to bring up before the portals are asked
        fabric: { sif: 'eth0', modules: ['virtio_net'] },
      },
    });
    expect(state.spec.san.chap).toEqual({ user: 'lab', secret: 'file:/etc/virtualinux/chap.secret' });
    expect(specYaml(state.spec)).not.toContain(SECRET);
    expect(JSON.stringify(state.check)).not.toContain(SECRET);
  });

  test('a CHAP user needs a secret of at least 4 characters; a secret needs a user', () => {
    const user = feed(
      walkTo('san'),
      { type: 'edit', field: 'san.chap.user', value: 'lab' },
      { type: 'press', button: 'discover' },
    );
    expect(shownProblems(user, 'secret')).toEqual([
      'missing (expected the CHAP secret of lab; it is never shown)',
    ]);
    const short = feed(user, { type: 'type', field: 'secret', text: 'abc' });
    expect(shownProblems(short, 'secret')).toEqual([
      'shorter than 4 characters (most targets want 12 to 16)',
    ]);
    const alone = feed(walkTo('san'), { type: 'edit', field: 'secret', value: SECRET });
    expect(shownProblems(alone, 'secret')).toEqual([
      'a secret needs a CHAP user: give the user, or clear the secret',
    ]);
  });

  test('Continue waits for a LUN; choosing one puts its target, number and size into the spec', () => {
    const none = feed(walkTo('san'), { type: 'next' });
    expect(none.screen).toBe('san');
    expect(shownProblems(none, 'luns')).toEqual([
      'press Discover to list the LUNs of the SAN, then choose one',
    ]);
    const found = feed(
      none,
      { type: 'press', button: 'discover' },
      { type: 'san-discovered', discovery: DISCOVERY },
    );
    expect(found.focus).toBe('luns');
    const chosen = feed(found, { type: 'choose', list: 'luns', index: 1 });
    expect(chosen.spec.san).toMatchObject({ target: FOREIGN_LUN.target, lun: 2, size: 40 * GiB });
    expect(feed(chosen, { type: 'next' }).screen).toBe('cluster');
  });

  test('a failed discovery says why', () => {
    const failed = feed(
      walkTo('san'),
      { type: 'press', button: 'discover' },
      { type: 'san-failed', failure: { message: 'iscsiadm: Login failed: authorization failure' } },
    );
    expect(failed.discovery).toEqual({
      state: 'failed',
      failure: { message: 'iscsiadm: Login failed: authorization failure' },
    });
  });
});

describe('Cluster', () => {
  test("a cluster name the spec refuses shows the spec's message", () => {
    const state = feed(walkTo('cluster'), { type: 'edit', field: 'cluster.name', value: 'Lab' });
    expect(shownProblems(state, 'cluster.name')).toEqual([
      '"Lab" is not a cluster name (expected e.g. lab (lower case and digits, at most 16))',
    ]);
  });

  test('a range and its first MAC are checked by the spec rules before they are added', () => {
    const state = feed(
      walkTo('cluster'),
      { type: 'edit', field: 'range', value: 'node[01-' },
      { type: 'edit', field: 'firstMac', value: '52:54:00:42:00' },
      { type: 'press', button: 'add-blades' },
    );
    expect(state.nodes).toEqual([]);
    expect(state.notices.range?.text).toBe('"node[01-" has "[" without "]" (expected e.g. node[01-16])');
    expect(state.notices.firstMac?.text).toBe(
      '"52:54:00:42:00" is not a MAC address (expected six hex pairs like 52:54:00:12:34:56)',
    );
    const fixed = feed(
      state,
      { type: 'edit', field: 'range', value: 'node[01-16]' },
      { type: 'edit', field: 'firstMac', value: '52:54:00:42:00:01' },
      { type: 'press', button: 'add-blades' },
    );
    expect(fixed.nodes).toEqual([{ name: 'node[01-16]', mac: '52:54:00:42:00:01' }]);
    expect(fixed.values.range).toBe('');
    expect(fixed.notices.range).toBeUndefined();
  });

  test('no blade at all stops Continue with the spec message', () => {
    const state = feed(
      walkTo('cluster'),
      { type: 'edit', field: 'cluster.name', value: 'lab' },
      { type: 'next' },
    );
    expect(state.screen).toBe('cluster');
    expect(shownProblems(state, 'blades')).toEqual(['expected at least one blade']);
  });

  test('a MAC given to two blades is a rule of the spec, told at the entry', () => {
    const state = feed(
      walkTo('images'),
      { type: 'back' },
      { type: 'edit', field: 'range', value: 'node04' },
      { type: 'edit', field: 'firstMac', value: '52:54:00:42:00:02' },
      { type: 'press', button: 'add-blades' },
      { type: 'next' },
    );
    expect(state.screen).toBe('cluster');
    expect(shownProblems(state, 'blades')).toEqual([
      'mac: MAC 52:54:00:42:00:02 of node04 is also the MAC of node02 (expected one MAC per NIC)',
    ]);
  });

  test('an enlisted MAC becomes the next blade; one already in the spec is not offered', () => {
    const state = feed(
      walkTo('images'),
      { type: 'back' },
      {
        type: 'enlisted',
        macs: ['52:54:00:42:00:02', '52:54:00:aa:bb:cc'],
      },
    );
    expect(itemsOf(state).map((i) => i.id)).toContain('enlisted');
    const added = feed(state, { type: 'choose', list: 'enlisted', index: 0 });
    expect(added.nodes.at(-1)).toEqual({ name: 'node04', mac: '52:54:00:aa:bb:cc' });
    expect(itemsOf(added).map((i) => i.id)).not.toContain('enlisted');
  });

  test('blades import from CSV or YAML text; what the spec refuses in them is told at their row', () => {
    const csv = feed(
      walkTo('cluster'),
      {
        type: 'import-offered',
        label: 'blades.csv',
        text: 'name,mac\nnode01,52:54:00:42:00:01\nnode02,52:54:00:42:00:0g\n',
      },
      { type: 'press', button: 'import' },
    );
    expect(csv.nodes).toEqual([
      { name: 'node01', mac: '52:54:00:42:00:01' },
      { name: 'node02', mac: '52:54:00:42:00:0g' },
    ]);
    expect(csv.notices.import).toEqual({ text: '2 blades imported from blades.csv', error: false });
    expect(shownProblems(csv, 'blades')).toEqual([
      'mac: "52:54:00:42:00:0g" is not a MAC address (expected six hex pairs like 52:54:00:12:34:56)',
    ]);
    const yaml = feed(
      walkTo('cluster'),
      {
        type: 'import-offered',
        label: 'cluster.yaml',
        text: 'nodes:\n  - name: node[01-04]\n    mac: 52:54:00:42:00:01\n',
      },
      { type: 'press', button: 'import' },
    );
    expect(yaml.nodes).toEqual([{ name: 'node[01-04]', mac: '52:54:00:42:00:01' }]);
    const bad = feed(
      walkTo('cluster'),
      { type: 'import-offered', label: 'x.yaml', text: 'just: a mapping' },
      { type: 'press', button: 'import' },
    );
    expect(bad.notices.import?.error).toBe(true);
    expect(bad.nodes).toEqual([]);
  });

  test('Enter on a blade puts it back into the fields to change it', () => {
    const state = feed(walkTo('images'), { type: 'back' }, { type: 'choose', list: 'blades', index: 0 });
    expect(state.nodes).toEqual([]);
    expect(state.values).toMatchObject({ range: 'node[01-03]', firstMac: '52:54:00:42:00:01' });
    expect(state.focus).toBe('range');
  });
});

describe('Images and the layout against the LUN', () => {
  test('every image of the DVD is taken at first; leaving one out takes it out of the spec', () => {
    const state = walkTo('images');
    expect(state.spec.images.vc).toEqual(['debian-12', 'rocky-9', 'ubuntu-24.04']);
    const left = feed(state, { type: 'toggle', target: 'images', index: 1 });
    expect(left.spec.images.vc).toEqual(['debian-12', 'ubuntu-24.04']);
    expect(feed(left, { type: 'toggle', target: 'images', index: 1 }).spec.images.vc).toEqual([
      'debian-12',
      'rocky-9',
      'ubuntu-24.04',
    ]);
  });

  test("a layout larger than the LUN is the spec's rule at san.size, told where the layout shows", () => {
    const small = { ...FRESH_LUN, bytes: 16 * GiB };
    const state = feed(
      walkTo('cluster'),
      { type: 'back' },
      { type: 'san-discovered', discovery: { ...DISCOVERY, luns: [small] } },
      { type: 'choose', list: 'luns', index: 0 },
      { type: 'next' },
      { type: 'edit', field: 'cluster.name', value: 'lab' },
      { type: 'edit', field: 'range', value: 'node[01-03]' },
      { type: 'edit', field: 'firstMac', value: '52:54:00:42:00:01' },
      { type: 'press', button: 'add-blades' },
      { type: 'next' },
      { type: 'next' },
    );
    expect(state.screen).toBe('images');
    expect(state.focus).toBe('images');
    expect(shownProblems(state, 'images')).toEqual([
      expect.stringMatching(/^san\.size: the layout needs 30\.6 GiB but the LUN is 16 GiB: /),
    ]);
    expect(problemsElsewhere(state)).toEqual([]);
    expect(blockingItems(state, ['san'])).toEqual([]);
  });
});

describe('Review', () => {
  const planned = (state: State, lun = FRESH_LUN) => {
    if (state.request?.kind !== 'plan')
      throw new Error(`expected a plan request, got ${state.request?.kind}`);
    return feed(answered(state), { type: 'planned', plan: planSummary(state.request.request, lun) });
  };

  test('a fresh LUN: Install starts the install without more questions', () => {
    const state = planned(walkTo('review'));
    expect(state.plan.state).toBe('seen');
    expect(state.focus).toBe('install');
    const started = feed(state, { type: 'press', button: 'install' });
    expect(started.screen).toBe('progress');
    expect(started.request?.kind).toBe('apply');
    expect(started.install?.actions.length).toBe(
      state.plan.state === 'seen' ? state.plan.value.actions.length : -1,
    );
  });

  test("a LUN with foreign data: the plan wipes it, and only the cluster's name typed goes on", () => {
    const review = walkTo('review', FOREIGN_LUN);
    expect(review.request).toMatchObject({ kind: 'plan', request: { wipe: true } });
    const state = planned(review, FOREIGN_LUN);
    expect(state.focus).toBe('confirm');
    const wrong = feed(state, { type: 'edit', field: 'confirm', value: 'yes' }, { type: 'confirm' });
    expect(wrong.screen).toBe('review');
    expect(wrong.notices.confirm?.text).toBe('type the cluster name, lab, to erase the LUN and install');
    const right = feed(wrong, { type: 'edit', field: 'confirm', value: 'lab' }, { type: 'confirm' });
    expect(right.screen).toBe('progress');
    expect(right.request?.kind).toBe('apply');
  });

  test('a refused plan installs nothing', () => {
    const refused = feed(answered(walkTo('review')), {
      type: 'plan-refused',
      failure: { message: 'the LUN is too small', hint: 'use a larger LUN' },
    });
    const pressed = feed(refused, { type: 'press', button: 'install' });
    expect(pressed.screen).toBe('review');
    expect(pressed.request).toBeUndefined();
    expect(pressed.notices.install?.text).toBe('there is no plan to install yet');
  });
});

describe('Progress and Done', () => {
  const step = { id: 'partition', description: 'partition the LUN', index: 1, total: 2 };
  const events: InstallEvent[] = [
    { type: 'plan-start', title: 'install cluster lab', actions: 2, dryRun: false },
    { type: 'action-start', ...step },
    {
      type: 'command-start',
      command: { tool: 'sgdisk', args: ['--zap-all', '/dev/sdb'], stdin: false },
      pid: 42,
    },
    { type: 'output', tool: 'sgdisk', stream: 'stdout', line: 'GPT data structures destroyed!' },
    { type: 'action-end', durationMs: 300, ...step },
    {
      type: 'action-start',
      id: 'image:node',
      description: 'write image node to img_node',
      index: 2,
      total: 2,
    },
    { type: 'progress', stage: 'unpack', done: 1 * GiB, total: 4 * GiB, unit: 'bytes' },
  ];

  function installing(): State {
    const review = walkTo('review');
    if (review.request?.kind !== 'plan') throw new Error('expected a plan request');
    const plan = {
      ...planSummary(review.request.request),
      actions: [step, { id: 'image:node', description: 'write image node to img_node' }],
    };
    return feed(answered(review), { type: 'planned', plan }, { type: 'press', button: 'install' });
  }

  test('events move each action from waiting to running to done, and fill the log', () => {
    let state = installing();
    events.forEach((event, i) => {
      state = reduce(state, { type: 'install-event', event, at: 1000 + i * 1000 });
    });
    const after = feed(state, {
      type: 'install-event',
      event: { type: 'progress', stage: 'unpack', done: 2 * GiB, total: 4 * GiB, unit: 'bytes' },
      at: 8000,
    });
    expect(after.install?.actions.map((a) => a.state)).toEqual(['done', 'running']);
    expect(after.install?.transfer).toMatchObject({ done: 2 * GiB, total: 4 * GiB });
    expect(after.install?.log.map((l) => l.text)).toContain('$ sgdisk --zap-all /dev/sdb');
    expect(after.install?.startedAt).toBe(1000);
    expect(feed(after, { type: 'toggle-log' }).install?.showLog).toBe(true);
  });

  test('Ctrl-C asks before stopping; n goes on, y stops after the running command', () => {
    const state = installing();
    const asked = feed(state, { type: 'interrupt' });
    expect(asked.overlay).toBe('ask-stop');
    const on = feed(asked, { type: 'answer', yes: false });
    expect(on.overlay).toBeUndefined();
    expect(on.install?.state).toBe('running');
    const stopping = feed(asked, { type: 'answer', yes: true });
    expect(stopping.request?.kind).toBe('stop');
    expect(stopping.install?.state).toBe('stopping');
    const stopped = feed(stopping, {
      type: 'install-failed',
      failure: { message: 'stopped by the administrator' },
      at: 5,
    });
    expect(stopped.install?.state).toBe('stopped');
  });

  test('a finished install shows Done; Enter there leaves the installer', () => {
    const done = feed(installing(), {
      type: 'install-finished',
      outcome: { lun: '/dev/sdb', created: [], specSaved: '/x' },
      at: 9,
    });
    expect(done.screen).toBe('done');
    expect(feed(done, { type: 'next' }).request?.kind).toBe('quit');
  });

  test('Ctrl-C before the install asks whether to leave; ? and ! ask for help and a shell', () => {
    const asked = feed(walkTo('san'), { type: 'interrupt' });
    expect(asked.overlay).toBe('ask-quit');
    expect(feed(asked, { type: 'answer', yes: true }).request?.kind).toBe('quit');
    expect(feed(asked, { type: 'next' }).screen).toBe('san');
    const help = feed(walkTo('san'), { type: 'help' });
    expect(help.overlay).toBe('help');
    expect(feed(help, { type: 'close' }).overlay).toBeUndefined();
    expect(feed(walkTo('san'), { type: 'shell' }).request?.kind).toBe('shell');
  });
});

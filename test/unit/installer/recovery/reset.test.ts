/**
 * The reset planner on the recorded LUNs of the install engine's tests: a complete install, a
 * fresh LUN, foreign data; and the states a crashed reset leaves, made from the complete one by
 * renaming volumes as the reset's own commands would.
 */
import { describe, expect, test } from 'vitest';
import { formatCommand } from '../../../../core/exec/command.ts';
import type { LogicalVolumeObservation, LunObservation } from '../../../../installer/engine/observation.ts';
import { parseLunObservation } from '../../../../installer/engine/observation.ts';
import { keptPaths, planReset, type ResetPlan, ResetRefusal } from '../../../../installer/recovery/reset.ts';
import { catchRefusal, exampleSpec, recorded } from '../engine/fixtures/recorded.ts';

const spec = exampleSpec();
const complete = parseLunObservation(recorded('complete'));

const commands = (plan: ResetPlan) =>
  plan.actions.map((a) => [a.id, ...a.commands.map((c) => formatCommand({ ...c, stdin: false }))]);

/** the complete LUN with node01's volumes as `volumes` says (name → ready?) */
function withVolumes(changes: Record<string, 'ready' | 'unready' | 'absent'>): LunObservation {
  const [vg] = complete.volumeGroups;
  if (!vg) throw new Error('the complete fixture has a VG');
  const template = vg.logicalVolumes.find((lv) => lv.name === 'node_node01') as LogicalVolumeObservation;
  let volumes = vg.logicalVolumes.filter((lv) => !(lv.name in changes));
  for (const [name, state] of Object.entries(changes)) {
    if (state === 'absent') continue;
    volumes = [
      ...volumes,
      { ...template, name, tags: state === 'ready' ? ['node01', 'vl.ready'] : ['node01'] },
    ];
  }
  return { ...complete, volumeGroups: [{ ...vg, logicalVolumes: volumes }] };
}

const refusal = (run: () => unknown) => catchRefusal(run, ResetRefusal);

describe('resetting a blade of an installed cluster', () => {
  test('a new layer is made beside the old, then renamed into its place; nothing else is named', () => {
    const plan = planReset(spec, complete, ['node01'], { node_node01: { held: false } });
    expect(commands(plan)).toEqual([
      [
        'reset:node01:make',
        'lvcreate -an -Zn -n node_node01_new -L 2147483648B --addtag node01 vl_lab',
        'lvchange -aey vl_lab/node_node01_new',
        'mkfs.ext4 -q -F -O mmp -E mmp_update_interval=5 -L node01 /dev/vl_lab/node_node01_new',
        'lvchange -an vl_lab/node_node01_new',
        'lvchange --addtag vl.ready vl_lab/node_node01_new',
      ],
      [
        'reset:node01:swap',
        'lvrename vl_lab node_node01 node_node01_old',
        'lvrename vl_lab node_node01_new node_node01',
        'lvremove -y vl_lab/node_node01_old',
      ],
    ]);
    // no other blade's volume, no image, no shared volume appears in any command
    const text = commands(plan).flat().join('\n');
    for (const other of ['node02', 'node03', 'img_', 'shared_', 'vl_meta']) expect(text).not.toContain(other);
    expect(plan.blades).toEqual([
      { name: 'node01', layer: 'node_node01', bytes: 2 * 2 ** 30, resuming: false },
    ]);
  });

  test('the same commands whatever the images weigh: the plan has no image size in it', () => {
    const bigger = parseLunObservation(recorded('complete'));
    const [vg] = bigger.volumeGroups;
    if (!vg) throw new Error('VG');
    const heavy = {
      ...bigger,
      volumeGroups: [
        {
          ...vg,
          logicalVolumes: vg.logicalVolumes.map((lv) =>
            lv.name.startsWith('img_') ? { ...lv, bytes: lv.bytes * 4 } : lv,
          ),
        },
      ],
    };
    expect(commands(planReset(spec, heavy, ['node01'], {}))).toEqual(
      commands(planReset(spec, complete, ['node01'], {})),
    );
  });

  test('--keep-data copies the paths from the old layer, read-only, into the new one before the swap', () => {
    const plan = planReset(
      spec,
      complete,
      ['node02'],
      {},
      { keep: { node02: ['/root', '/etc/ssh'] }, workDir: '/run/x' },
    );
    const make = commands(plan)[0] ?? [];
    expect(make).toEqual(
      expect.arrayContaining([
        'mount -t ext4 -o ro,noload /dev/vl_lab/node_node02 /run/x/node02/old',
        'mount -t ext4 /dev/vl_lab/node_node02_new /run/x/node02/new',
        'cp -a --parents -- ./root /run/x/node02/new/root/ (in /run/x/node02/old/root)',
        'cp -a --parents -- ./etc/ssh /run/x/node02/new/root/ (in /run/x/node02/old/root)',
      ]),
    );
    expect(make.indexOf('umount /run/x/node02/old')).toBeLessThan(
      make.indexOf('lvchange --addtag vl.ready vl_lab/node_node02_new'),
    );
  });

  test('--all resets every blade, each on its own', () => {
    const plan = planReset(spec, complete, [], {}, { all: true });
    expect(plan.actions.map((a) => a.id)).toEqual([
      'reset:node01:make',
      'reset:node01:swap',
      'reset:node02:make',
      'reset:node02:swap',
      'reset:node03:make',
      'reset:node03:swap',
    ]);
  });
});

describe('a reset that stopped half-way is finished by the same command', () => {
  const ids = (plan: ResetPlan) =>
    commands(plan).map(([id, ...rest]) => `${id}: ${rest.filter((c) => c.startsWith('lv')).join('; ')}`);

  test('stopped while making the new layer: it is made again (not created again), then swapped', () => {
    const plan = planReset(spec, withVolumes({ node_node01_new: 'unready' }), ['node01'], {});
    expect(ids(plan)).toEqual([
      'reset:node01:make: lvchange -aey vl_lab/node_node01_new; lvchange -an vl_lab/node_node01_new; lvchange --addtag vl.ready vl_lab/node_node01_new',
      'reset:node01:swap: lvrename vl_lab node_node01 node_node01_old; lvrename vl_lab node_node01_new node_node01; lvremove -y vl_lab/node_node01_old',
    ]);
    expect(plan.blades[0]?.resuming).toBe(true);
    expect(plan.notes).toContain('node01: a reset before this one stopped half-way; this one finishes it');
  });

  test('stopped with the new layer ready: only the swap is left', () => {
    const plan = planReset(spec, withVolumes({ node_node01_new: 'ready' }), ['node01'], {});
    expect(ids(plan)).toEqual([
      'reset:node01:swap: lvrename vl_lab node_node01 node_node01_old; lvrename vl_lab node_node01_new node_node01; lvremove -y vl_lab/node_node01_old',
    ]);
  });

  test('stopped between the two renames: the blade has no layer; the new one takes the name, the old goes', () => {
    const plan = planReset(
      spec,
      withVolumes({ node_node01: 'absent', node_node01_old: 'ready', node_node01_new: 'ready' }),
      ['node01'],
      {},
    );
    expect(ids(plan)).toEqual([
      'reset:node01:swap: lvrename vl_lab node_node01_new node_node01; lvremove -y vl_lab/node_node01_old',
    ]);
  });

  test('stopped before the old layer was removed: it is removed, then the blade is reset as asked', () => {
    const plan = planReset(spec, withVolumes({ node_node01_old: 'ready' }), ['node01'], {});
    expect(plan.actions.map((a) => a.id)).toEqual([
      'reset:node01:finish',
      'reset:node01:make',
      'reset:node01:swap',
    ]);
    expect(commands(plan)[0]).toEqual(['reset:node01:finish', 'lvremove -y vl_lab/node_node01_old']);
  });
});

test("--keep-data keeps those of the spec's persistent paths that the blade's layer holds", () => {
  const drift = [
    { path: '/root' },
    { path: '/root/.bash_history' },
    { path: '/etc/ssh/sshd_config' },
    { path: '/var/lib/x' },
  ];
  expect(keptPaths(['/root', '/etc/ssh', '/srv', '/var/lib/xy'], drift)).toEqual(['/root', '/etc/ssh']);
});

describe('refusals', () => {
  test('a running blade (its layer held, as multi-mount protection says) is refused; --force goes on and says so', () => {
    const held = { node_node01: { held: true as const, by: 'node01' } };
    const refused = refusal(() => planReset(spec, complete, ['node01', 'node02'], held));
    expect(refused.reason).toBe('running');
    expect(refused.message).toBe(
      'a blade to reset is running: node01 (node_node01 is mounted by node01); a reset would pull the root from under it',
    );
    expect(refused.hint).toMatch(/^power the blade off first/);
    const forced = planReset(spec, complete, ['node01'], held, { force: true });
    expect(forced.notes).toContain('node01: reset with --force although its layer shows in use');
  });

  test('an unknown blade, with a did-you-mean; no blade at all', () => {
    const unknown = refusal(() => planReset(spec, complete, ['node1', 'node02'], {}));
    expect(unknown.reason).toBe('unknown-blade');
    expect(unknown.message).toBe('cluster lab has no blade node1');
    expect(unknown.hint).toBe('did you mean node01? its blades: node01, node02, node03');
    expect(refusal(() => planReset(spec, complete, [], {})).reason).toBe('no-blade');
  });

  test('a cluster that is not installed: a fresh LUN, foreign data, each says what is there', () => {
    const fresh = refusal(() => planReset(spec, parseLunObservation(recorded('fresh')), ['node01'], {}));
    expect(fresh.reason).toBe('not-installed');
    expect(fresh.message).toMatch(
      /^cluster lab is not installed on the LUN .*: no volume group vl_lab tagged for it\nthe LUN is empty$/,
    );
    const foreign = refusal(() => planReset(spec, parseLunObservation(recorded('foreign')), ['node01'], {}));
    expect(foreign.message).toMatch(/\nthe LUN holds:\n {2}- /);
  });
});

/**
 * planInstall on LUNs recorded from real tools (fixtures/README.md): what an administrator would
 * see in --dry-run, what is refused and why, what a resumed install redoes, and that no secret
 * ever gets into a plan.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { formatCommand } from '../../../../core/exec/command.ts';
import { Secrets } from '../../../../core/exec/secrets.ts';
import { checkSpecText } from '../../../../core/spec/load.ts';
import type { Spec } from '../../../../core/spec/schema.ts';
import { type LunObservation, parseLunObservation } from '../../../../installer/engine/observation.ts';
import { type InstallOptions, type InstallPlan, planInstall } from '../../../../installer/engine/plan.ts';
import { LIVE_RUNTIME } from '../../../../installer/engine/runtime.ts';
import { edit, example, valid } from '../../core/spec/check.ts';
import { catchRefusal, exampleImages, type RecordedCase, recorded } from './fixtures/recorded.ts';

const GiB = 2 ** 30;
const spec = valid(example);
const options: InstallOptions = { images: exampleImages(), sharedVg: false };
const observed = (name: RecordedCase): LunObservation => parseLunObservation(recorded(name));
const plan = (name: RecordedCase, more: Partial<InstallOptions> = {}, onSpec: Spec = spec) =>
  planInstall(onSpec, observed(name), { ...options, ...more });
const ids = (p: InstallPlan) => p.actions.map((a) => a.id);
/** what the DVD's live system hands the planner (installer/engine/runtime.ts) */
const RUNTIME = { ...LIVE_RUNTIME, id: 'node 98932688 bytes, installer 5a1d' };

/** the plan as --dry-run would show it: each action, each command, what goes to its stdin */
function render(p: InstallPlan): string {
  const lines = [p.title, `verdict: ${p.verdict}`, ...p.notes.map((note) => `note: ${note}`)];
  for (const action of p.actions) {
    lines.push('', `[${action.id}] ${action.description}`);
    for (const command of action.commands) {
      lines.push(`  $ ${formatCommand({ ...command, stdin: command.stdin !== undefined })}`);
      if (typeof command.stdin !== 'string') continue;
      const text = command.stdin.trimEnd();
      lines.push(
        ...(command.args[0]?.endsWith('.json')
          ? [`    | (${text.split('\n').length} lines of JSON, checked by the "vl_meta" tests)`]
          : text.split('\n').map((line) => `    | ${line}`)),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** every string of a plan: what is shown, what is run, what goes to stdin, what the journal keeps */
function everything(p: InstallPlan): string {
  return JSON.stringify({
    title: p.title,
    notes: p.notes,
    contents: p.contents,
    actions: p.actions.map((a) => ({
      description: a.description,
      inputs: a.inputs,
      commands: a.commands.map(({ tool, args, stdin, env, cwd }) => ({
        tool,
        args,
        stdin: typeof stdin === 'string' ? stdin : stdin && Buffer.from(stdin).toString(),
        env,
        cwd,
      })),
    })),
  });
}

const withBlades = (range: string) => valid(edit(example, ['name: node[01-03]', `name: ${range}`]));

describe('a fresh LUN', () => {
  test('gets the whole layout: GPT, VLBOOT, VG, volumes, images, VLBOOT content, vl_meta', async () => {
    const fresh = plan('fresh');
    expect(fresh.verdict).toBe('fresh');
    expect(fresh.contents).toEqual([]);
    await expect(render(fresh)).toMatchFileSnapshot('./fixtures/plan-fresh.snap.txt');
  });

  test('with lvmlockd and sanlock here, the VG is created shared and this host joins its lockspace', () => {
    const shared = plan('fresh', { sharedVg: true });
    expect(
      shared.actions
        .find((a) => a.id === 'create-vg')
        ?.commands.map((c) => formatCommand({ ...c, stdin: false })),
    ).toMatchInlineSnapshot(`
      [
        "vgcreate --shared --locktype sanlock --setautoactivation n -s 4m --addtag virtualinux --addtag vl.cluster=lab vl_lab /dev/loop0p3",
        "vgchange --lock-start vl_lab",
      ]
    `);
    expect(shared.layout.need.locks).toBe(256 * 2 ** 20);
  });
});

describe('a foreign LUN', () => {
  test('is refused with a listing of what is on it, and how to erase it', () => {
    const refusal = catchRefusal(() => plan('foreign'));
    expect(refusal.reason).toBe('foreign');
    expect(refusal.message).toMatchInlineSnapshot(`
      "the LUN /dev/loop7 (40 GiB) holds data that is not this cluster:
        - a GPT partition table with 3 partitions
        - partition 1 "data" (10 GiB, Linux filesystem): an ext4 filesystem labelled "data"
        - partition 2 "swap" (2 GiB, Linux swap): swap space labelled "swap"
        - partition 3 "vg0" (8 GiB, Linux LVM): an LVM physical volume
        - LVM volume group vg0 (8 GiB): 1 logical volume: root 6 GiB"
    `);
    expect(refusal.hint).toBe(
      'to erase all of it and install cluster lab there, run the install again with --wipe lab',
    );
  });

  test('device-mapper devices left by data that is gone are removed: in the wipe, or first on a LUN that reads as empty', () => {
    const stray = { mappedDevices: ['vg0-root', 'vl_lab-img_node', 'vl_lab-node_node01'] };
    const foreign = { ...observed('foreign'), ...stray };
    const wipe = planInstall(spec, foreign, { ...options, wipe: 'lab' }).actions[0];
    // vg0's own volume goes with vgchange -an; the others with dmsetup
    expect(wipe?.commands.slice(0, 3).map((c) => [c.tool, ...c.args].join(' '))).toEqual([
      'vgchange -an vg0',
      'dmsetup remove --retry vl_lab-img_node',
      'dmsetup remove --retry vl_lab-node_node01',
    ]);
    const empty = planInstall(spec, { ...observed('fresh'), ...stray }, options);
    expect(ids(empty)).toEqual(['release', ...ids(plan('fresh'))]);
    expect(empty.actions[0]?.description).toBe(
      'remove device-mapper devices left on /dev/loop0 by data no longer there: vg0-root, vl_lab-img_node, vl_lab-node_node01',
    );
  });

  test("a wipe first unmounts the cluster's volumes where an install that died left them mounted: they would keep the VG busy", () => {
    const wiped = plan('partial', { wipe: 'lab' });
    const [wipe] = wiped.actions;
    const lines = wipe?.commands.map((c) => [c.tool, ...c.args].join(' ')) ?? [];
    const vgAt = lines.indexOf('vgchange -an vl_lab');
    expect(lines.slice(0, vgAt)).toEqual([
      'umount --quiet /run/virtualinux/install/VLBOOT',
      ...(observed('partial').volumeGroups[0]?.logicalVolumes ?? []).map(
        (lv) => `umount --quiet /run/virtualinux/install/${lv.name}`,
      ),
    ]);
    expect(vgAt).toBeGreaterThan(2);
    // "not mounted" is no failure: a wipe after a clean run unmounts nothing
    expect(wipe?.commands[0]?.allowExitCodes).toEqual([32]);
    // foreign data is not ours to unmount: its VG goes straight to vgchange -an
    expect(plan('foreign', { wipe: 'lab' }).actions[0]?.commands[0]?.tool).toBe('vgchange');
  });

  test('with --wipe and the cluster name, is erased first, then gets the whole layout', () => {
    const wiped = plan('foreign', { wipe: 'lab' });
    expect(wiped.verdict).toBe('wiped');
    expect(ids(wiped)).toEqual(['wipe', ...ids(plan('fresh'))]);
    const [wipe] = wiped.actions;
    expect(wipe && render({ ...wiped, actions: [wipe] })).toMatchInlineSnapshot(`
      "install cluster lab on /dev/loop7 (40 GiB)
      verdict: wiped
      note: lvmlockd and sanlock are not in use here: the volume group is made local; once they run on the blades, vgchange --locktype sanlock makes it shared
      note: the installer does not run from the DVD's live system: VLBOOT gets no Node and installer, and the blades no virtualinux command

      [wipe] erase everything on /dev/loop7: a GPT partition table with 3 partitions; partition 1 "data" (10 GiB, Linux filesystem): an ext4 filesystem labelled "data"; partition 2 "swap" (2 GiB, Linux swap): swap space labelled "swap"; partition 3 "vg0" (8 GiB, Linux LVM): an LVM physical volume; LVM volume group vg0 (8 GiB): 1 logical volume: root 6 GiB
        $ vgchange -an vg0
        $ wipefs --all --force /dev/loop7p1
        $ wipefs --all --force /dev/loop7p2
        $ wipefs --all --force /dev/loop7p3
        $ sgdisk --zap-all /dev/loop7
        $ wipefs --all --force /dev/loop7
        $ partprobe /dev/loop7
        $ udevadm settle --timeout=60
      "
    `);
  });

  test('--wipe with another name than the cluster of the spec is refused', () => {
    const refusal = catchRefusal(() => plan('foreign', { wipe: 'prod' }));
    expect(refusal.reason).toBe('wipe-mismatch');
    expect(refusal.message).toBe('--wipe names cluster "prod", but the spec installs cluster "lab"');
  });
});

describe('a LUN too small', () => {
  test('is refused before anything, with what the layout needs and what the LUN has', () => {
    const refusal = catchRefusal(() => plan('small'));
    expect(refusal.reason).toBe('too-small');
    expect(refusal.message).toBe(
      'the LUN /dev/loop8 (16 GiB) is too small for cluster lab: it needs 19.6 GiB (VLBOOT 512 MiB, vl_meta 64 MiB, 4 golden images 9 GiB, 3 blade layers 6 GiB, 1 shared volume 4 GiB, LVM and GPT overhead 8 MiB), the LUN has 16 GiB',
    );
  });

  test('even with --wipe, and before the listing of what is on it', () => {
    const small = { ...observed('foreign'), bytes: 16 * GiB };
    const refusal = catchRefusal(() => planInstall(spec, small, { ...options, wipe: 'lab' }));
    expect(refusal.reason).toBe('too-small');
  });
});

describe('a LUN that holds this cluster', () => {
  test('interrupted: only what is missing is planned, the interrupted image from its start', async () => {
    const partial = plan('partial');
    expect(partial.verdict).toBe('partial');
    expect(ids(partial)).toEqual([
      'image:debian-12',
      'image:ubuntu-24.04',
      'image:rocky-9',
      'blade:node01',
      'blade:node02',
      'blade:node03',
      'shared:home',
      'vlboot',
      'meta',
    ]);
    await expect(render(partial)).toMatchFileSnapshot('./fixtures/plan-partial.snap.txt');
  });

  test('complete: nothing to do', () => {
    const complete = plan('complete');
    expect(
      ids(complete),
      'the complete LUN no longer reads as complete: if VLBOOT or vl_meta content changed on purpose, run fixtures/record.ts again',
    ).toEqual([]);
    expect(complete.verdict).toBe('complete');
    expect(complete.notes).toEqual([]);
  });

  test('complete, with a blade more in the spec: its layer, VLBOOT and vl_meta; no image is touched', () => {
    const more = plan('complete', {}, withBlades('node[01-04]'));
    expect(more.verdict).toBe('partial');
    expect(ids(more)).toEqual(['blade:node04', 'vlboot', 'meta']);
    expect(more.actions[0]?.description).toBe(
      "create blade node04's writable layer node_node04 (2 GiB, ext4, tagged node04)",
    );
  });

  test('reinstall: images, blade layers, VLBOOT and vl_meta again; shared data and the layout kept', () => {
    const again = plan('complete', { reinstall: true });
    expect(again.verdict).toBe('reinstall');
    expect(ids(again)).toEqual([
      'image:node',
      'image:debian-12',
      'image:ubuntu-24.04',
      'image:rocky-9',
      'blade:node01',
      'blade:node02',
      'blade:node03',
      'vlboot',
      'meta',
    ]);
    const image = again.actions[0]?.commands.map((c) => formatCommand({ ...c, stdin: false }));
    expect(image?.slice(0, 3)).toEqual([
      'sha256sum --check --strict --quiet -',
      'umount --quiet /run/virtualinux/install/img_node',
      'lvchange -p rw --deltag vl.image=a20a6735f4f41d24facf55bac17b68559a84cdb42758402c9633b9894d6dff58 vl_lab/img_node',
    ]);
    expect(image?.at(-1)).toBe(
      'lvchange -p r --addtag vl.image=a20a6735f4f41d24facf55bac17b68559a84cdb42758402c9633b9894d6dff58 vl_lab/img_node',
    );
  });

  test('another build of an image on the LUN is noted and left alone: upgrades are not the install', () => {
    const images = exampleImages();
    const rebuilt = {
      ...images,
      node: { ...images.node, archive: { ...images.node.archive, sha256: 'ee'.repeat(32) } },
    };
    const p = plan('complete', { images: rebuilt, runtime: RUNTIME });
    expect(ids(p)).toEqual(['vlboot', 'meta']);
    expect(p.notes).toEqual([
      `img_node holds another build of image node (vl.image=${images.node.archive.sha256}); the DVD carries ${'ee'.repeat(32)}: upgrading an image is not part of the install, it is left as it is`,
    ]);
  });

  test("VLBOOT carries the spec without san.chap and, from the DVD, its Node and installer: the blades' virtualinux command", () => {
    const fromDvd = plan('complete', { runtime: RUNTIME });
    const vlboot = fromDvd.actions.find((a) => a.id === 'vlboot');
    const lines = vlboot?.commands.map((c) => formatCommand({ ...c, stdin: c.stdin !== undefined })) ?? [];
    expect(lines).toContain(`cp -- ${RUNTIME.node} /run/virtualinux/install/VLBOOT/virtualinux/runtime/node`);
    expect(lines).toContain(
      `cp -- ${RUNTIME.bundle} /run/virtualinux/install/VLBOOT/virtualinux/runtime/installer.mjs`,
    );
    const spec = vlboot?.commands.find((c) =>
      c.args.includes('of=/run/virtualinux/install/VLBOOT/virtualinux/cluster.json'),
    );
    const written = JSON.parse(String(spec?.stdin));
    expect(written.cluster.name).toBe('lab');
    expect(written.san.target).toBe('iqn.2026-11.org.virtualinux:lab.san');
    expect(written.san.chap).toBeUndefined();
    expect(fromDvd.notes).toEqual([]);
    // the LUN was installed from a checkout (the fixture): the runtime alone makes VLBOOT's content new
    expect(ids(fromDvd)).toEqual(['vlboot']);
    // from a checkout: no runtime to copy, and the plan says what the blades miss
    const fromCheckout = plan('fresh');
    expect(fromCheckout.notes).toContain(
      "the installer does not run from the DVD's live system: VLBOOT gets no Node and installer, and the blades no virtualinux command",
    );
    expect(JSON.stringify(fromCheckout.actions)).not.toContain('/virtualinux/runtime/');
  });

  test('volumes that no longer fit in the VG are refused, with the free space and what is missing', () => {
    const lun = observed('complete');
    const vg = lun.volumeGroups[0];
    if (vg) vg.freeBytes = GiB;
    const refusal = catchRefusal(() => planInstall(withBlades('node[01-05]'), lun, options));
    expect(refusal.reason).toBe('too-small');
    expect(refusal.message).toBe(
      'the volume group vl_lab has 1 GiB free, but the volumes still to create need 4 GiB: node_node04 2 GiB, node_node05 2 GiB',
    );
  });

  test('a shared VG: this host joins its lockspace first, and refuses when lvmlockd does not run here', () => {
    const lun = observed('complete');
    const vg = lun.volumeGroups[0];
    if (vg) vg.lockType = 'sanlock';
    const more = withBlades('node[01-04]');
    expect(ids(planInstall(more, lun, { ...options, sharedVg: true }))).toEqual([
      'start-locks',
      'blade:node04',
      'vlboot',
      'meta',
    ]);
    expect(catchRefusal(() => planInstall(more, lun, options)).reason).toBe('shared-vg-unavailable');
  });
});

describe('a LUN that holds another VirtuaLinux cluster', () => {
  const prod = valid(edit(example, ['  name: lab\n', '  name: prod\n']));

  test('is refused, naming that cluster', () => {
    const refusal = catchRefusal(() => plan('complete', {}, prod));
    expect(refusal.reason).toBe('other-cluster');
    expect(refusal.message.split('\n')[0]).toBe(
      'the LUN /dev/loop0 (40 GiB) holds VirtuaLinux cluster "lab":',
    );
    expect(refusal.contents).toContain(
      'partition 2 "VLBOOT" (512 MiB, EFI System): a FAT filesystem labelled "VLBOOT"',
    );
  });

  test('--wipe with this cluster name erases it', () => {
    expect(plan('complete', { wipe: 'prod' }, prod).verdict).toBe('wiped');
  });
});

describe('vl_meta', () => {
  const meta = plan('fresh').actions.find((a) => a.id === 'meta');
  const written = (name: string) => {
    const command = meta?.commands.find((c) => c.tool === 'dd' && c.args[0]?.endsWith(`/${name}`));
    return JSON.parse(String(command?.stdin));
  };

  test('keeps the spec as loaded, defaults filled in, and loadable again: it checks to the same spec', () => {
    const kept = written('cluster.json');
    expect(kept.san.portals).toEqual(['10.0.2.2:3260']);
    const again = checkSpecText(`${JSON.stringify(kept)}\n`);
    expect(again.ok && again.spec).toEqual(spec);
  });

  test('keeps the install report: volumes, images by sha256, blades with their boot parameters', () => {
    const report = written('install-report.json');
    expect(report.volumes).toHaveLength(9);
    expect(
      report.images.map((i: { name: string; sha256: string }) => [i.name, i.sha256.slice(0, 8)]),
    ).toEqual([
      ['node', 'a20a6735'],
      ['debian-12', '4fc828d9'],
      ['ubuntu-24.04', 'abababab'],
      ['rocky-9', 'cdcdcdcd'],
    ]);
    expect(report.blades[0].bootParameters).toContain('root=vl:vl_lab/img_node+node_node01');
  });
});

describe('secrets', () => {
  const secret = 'chap-S3cret-never-shown';
  const mutual = 'mutual-S3cret-never-shown';
  const dir = mkdtempSync(join(tmpdir(), 'vl-chap-'));
  afterAll(() => {
    delete process.env.VL_TEST_CHAP_SECRET;
    rmSync(dir, { recursive: true, force: true });
  });

  test('no CHAP secret is in any command, stdin, description, note or journal input', () => {
    process.env.VL_TEST_CHAP_SECRET = secret;
    const file = join(dir, 'mutual.secret');
    writeFileSync(file, mutual, { mode: 0o600 });
    const withChap = valid(
      edit(example, [
        '    secret: file:/etc/virtualinux/chap.secret\n',
        `    secret: env:VL_TEST_CHAP_SECRET\n    mutual:\n      user: san\n      secret: file:${file}\n`,
      ]),
    );
    expect(withChap.san.chap?.mutual?.user).toBe('san');
    const plans = [
      plan('fresh', {}, withChap),
      plan('foreign', { wipe: 'lab' }, withChap),
      plan('partial', {}, withChap),
      plan('complete', { reinstall: true }, withChap),
    ];
    const secrets = new Secrets();
    secrets.add(secret);
    secrets.add(mutual);
    for (const p of plans) {
      const text = everything(p);
      expect(text).not.toContain(secret);
      expect(text).not.toContain(mutual);
      expect(secrets.redact(text)).toBe(text);
      // VLBOOT is readable by every initiator the SAN lets in: not even where the secrets are goes there
      const vlboot = p.actions.find((a) => a.id === 'vlboot');
      expect(JSON.stringify(vlboot?.commands.map((c) => c.stdin))).not.toMatch(/chap|secret|password/i);
    }
  });
});

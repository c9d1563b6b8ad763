/** The Unattended entry: where the spec comes from, what is said about it, the verdict line. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createRunner } from '../../../core/exec/runner.ts';
import { exampleSpecText } from '../../../core/spec/example.ts';
import type { Spec } from '../../../core/spec/schema.ts';
import { parseBootRequest } from '../../../installer/boot-request.ts';
import type { InstallResult } from '../../../installer/engine/install.ts';
import { InstallRefusal } from '../../../installer/engine/refusal.ts';
import { observeSpecSources, recoveryCommand } from '../../../installer/machine.ts';
import { runUnattended, specFromBoot } from '../../../installer/unattended.ts';
import {
  formatInstallResult,
  fwCfgPath,
  parseInstallResult,
  RESULT_MARKER,
  SECRET_FW_CFG,
  SPEC_FW_CFG,
} from '../../../installer/unattended-protocol.ts';

function putFile(root: string, name: string, text: string): void {
  const file = join(root, fwCfgPath(name));
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
}

/** every temporary root this file makes, removed when it ends */
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** a directory standing in for / with the fw_cfg files the lab gives, when `spec` is set */
function machineRoot(spec?: string, secret?: string): string {
  const root = mkdtempSync(join(tmpdir(), 'vl-unattended-'));
  roots.push(root);
  if (spec !== undefined) putFile(root, SPEC_FW_CFG, spec);
  if (secret !== undefined) putFile(root, SECRET_FW_CFG, secret);
  return root;
}

type Engine = (spec: Spec, env: NodeJS.ProcessEnv) => Promise<InstallResult>;

/**
 * A stand-in for the install engine (named as such: the real one needs a SAN, and runs in the
 * lab's e2e test): it records what it was given and answers as an engine that ran two actions.
 */
function standInEngine(calls: Array<{ spec: Spec; env: NodeJS.ProcessEnv }>): Engine {
  return async (spec, env) => {
    calls.push({ spec, env });
    return {
      ran: ['partition', 'create-vg'],
      lun: '/dev/sdb',
      phases: {},
      dryRun: false,
    } as unknown as InstallResult;
  };
}

async function unattended(
  root: string,
  cmdline = 'vl.mode=unattended',
  fetchText?: (url: string) => Promise<string>,
  /** null: the real engine */
  install: Engine | null = standInEngine([]),
) {
  const boot = parseBootRequest(cmdline);
  let said = '';
  const result = await runUnattended({
    ...(install && { install }),
    version: '9.9.9',
    boot,
    sources: observeSpecSources(boot, root),
    root,
    runner: createRunner(),
    write: (text) => {
      said += text;
    },
    ...(fetchText && { fetchText }),
  });
  return { result, said };
}

describe('runUnattended', () => {
  test('a valid spec by fw_cfg: summarised, the CHAP secret put where the spec says, the engine run, the verdict installed', async () => {
    const calls: Array<{ spec: Spec; env: NodeJS.ProcessEnv }> = [];
    const root = machineRoot(exampleSpecText(), 'lab-secret-1234\n');
    const { result, said } = await unattended(root, undefined, undefined, standInEngine(calls));
    expect(result.status).toBe('installed');
    expect(said).toContain('cluster spec from QEMU fw_cfg opt/org.virtualinux/cluster.yaml');
    expect(said).toContain(
      'the spec is valid: cluster lab: 3 blades, SAN iqn.2026-11.org.virtualinux:lab.san at 10.0.2.2:3260',
    );
    // the example's san.chap.secret is file:/etc/virtualinux/chap.secret
    const secretFile = join(root, 'etc/virtualinux/chap.secret');
    expect(readFileSync(secretFile, 'utf8')).toBe('lab-secret-1234\n');
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    expect(said).not.toContain('lab-secret-1234');
    expect(calls.map((c) => c.spec.cluster.name)).toEqual(['lab']);
    const verdict = said.trimEnd().split('\n').at(-1) ?? '';
    expect(verdict).toBe(
      `${RESULT_MARKER} installed cluster lab: 3 blades, SAN iqn.2026-11.org.virtualinux:lab.san at 10.0.2.2:3260; 2 actions on /dev/sdb`,
    );
    expect(parseInstallResult(verdict).status).toBe('installed');
  });

  test('the engine refusing: its message and hint above, the verdict failed with the message', async () => {
    const refuse: Engine = () =>
      Promise.reject(
        new InstallRefusal(
          'foreign',
          'the LUN /dev/sdb holds data that is not this cluster:\n  - ext4',
          'run again with --wipe lab',
        ),
      );
    const { result, said } = await unattended(machineRoot(exampleSpecText()), undefined, undefined, refuse);
    expect(result.status).toBe('failed');
    expect(said).toContain(
      'the LUN /dev/sdb holds data that is not this cluster:\n  - ext4\n  run again with --wipe lab\n',
    );
    expect(said.trimEnd().split('\n').at(-1)).toBe(
      `${RESULT_MARKER} failed the LUN /dev/sdb holds data that is not this cluster: - ext4`,
    );
  });

  test('without the real engine on a machine that is no DVD: failed, naming where the images were looked for', async () => {
    const root = machineRoot(exampleSpecText(), 'lab-secret-1234');
    const { result, said } = await unattended(root, undefined, undefined, null);
    expect(result.status).toBe('failed');
    expect(result.message).toBe(
      `no images at ${join(root, 'run/live/medium/images')}: this is not a VirtuaLinux DVD, or it is not mounted there`,
    );
    expect(existsSync(join(root, 'etc/virtualinux/chap.secret'))).toBe(true);
    expect(said).not.toContain('lab-secret-1234');
  });

  test('a spec with problems: each listed with its line, the verdict failed', async () => {
    const { result, said } = await unattended(
      machineRoot(exampleSpecText().replace('name: lab', 'name: Lab_1')),
    );
    expect(result.status).toBe('failed');
    expect(said).toMatch(/QEMU fw_cfg opt\/org\.virtualinux\/cluster\.yaml:4:\d+: cluster\.name/);
    expect(said).toContain(`${RESULT_MARKER} failed the cluster spec from QEMU fw_cfg`);
  });

  test('no spec anywhere: what each source said, and how to give one', async () => {
    const { result, said } = await unattended(machineRoot());
    expect(result.status).toBe('failed');
    expect(said).toContain('a drive labelled VLSPEC: no such drive');
    expect(said).toContain('QEMU fw_cfg opt/org.virtualinux/cluster.yaml: not there');
    expect(said).toContain('vl.spec=URL on the kernel command line: not given');
    expect(result.message).toContain('no cluster spec found');
  });

  test('vl.spec=URL is fetched when fw_cfg has nothing; a fetch failure is named', async () => {
    const ok = await unattended(
      machineRoot(),
      'vl.mode=unattended vl.spec=http://10.0.2.2/c.yaml',
      async () => exampleSpecText(),
    );
    expect(ok.result.status).toBe('installed');
    expect(ok.said).toContain('cluster spec from http://10.0.2.2/c.yaml');
    const refused = await unattended(machineRoot(), 'vl.mode=unattended vl.spec=http://10.0.2.2/c.yaml', () =>
      Promise.reject(new Error('HTTP 404')),
    );
    expect(refused.said).toContain('http://10.0.2.2/c.yaml: HTTP 404');
  });
});

describe('the verdict line', () => {
  test('reads back what was written, on one line whatever the message', () => {
    const line = formatInstallResult('failed', 'two\nlines');
    expect(line).toBe(`${RESULT_MARKER} failed two lines`);
    expect(parseInstallResult(`noise ${line}\r`)).toEqual({ status: 'failed', message: 'two lines' });
  });

  test('an unknown status is a failure that quotes the line', () => {
    expect(parseInstallResult(`${RESULT_MARKER} maybe later`)).toEqual({
      status: 'failed',
      message: `the installer said something this version does not understand: ${RESULT_MARKER} maybe later`,
    });
  });
});

describe('the Install entry: the spec the boot names, for the guided installer', () => {
  const fromBoot = (root: string) => {
    const boot = parseBootRequest('vl.mode=install');
    return specFromBoot({ boot, sources: observeSpecSources(boot, root), root, runner: createRunner() });
  };

  test('a valid spec from fw_cfg is written for install --tui --spec, root-only, its CHAP secret put in place', async () => {
    const root = machineRoot(exampleSpecText(), 'handed-over-secret\n');
    const found = await fromBoot(root);
    expect(found).toEqual({
      file: join(root, 'run/virtualinux/guided/cluster.yaml'),
      from: expect.stringContaining('fw_cfg'),
    });
    expect(readFileSync(found?.file ?? '', 'utf8')).toBe(exampleSpecText());
    expect(statSync(found?.file ?? '').mode & 0o777).toBe(0o600);
    expect(readFileSync(join(root, 'etc/virtualinux/chap.secret'), 'utf8')).toBe('handed-over-secret\n');
  });

  test('no spec, or one with problems: none (the screens start empty and ask)', async () => {
    expect(await fromBoot(machineRoot())).toBeUndefined();
    const broken = machineRoot('cluster: {name: Not A Name}\n');
    expect(await fromBoot(broken)).toBeUndefined();
    expect(existsSync(join(broken, 'run/virtualinux/guided/cluster.yaml'))).toBe(false);
  });
});

describe("the Recovery entry's f: reset --pick from the spec the boot names", () => {
  const live = (root: string) => {
    const boot = parseBootRequest('vl.mode=recovery');
    return { version: '9.9.9', boot, sources: observeSpecSources(boot, root), root, program: '/opt/vl.mjs' };
  };

  test('with a spec from fw_cfg: the bundle again, reset --pick --spec on the file written for it', async () => {
    const root = machineRoot(exampleSpecText(), 'handed-over-secret\n');
    expect(await recoveryCommand(live(root), createRunner())).toEqual({
      tool: process.execPath,
      args: ['/opt/vl.mjs', 'reset', '--pick', '--spec', join(root, 'run/virtualinux/guided/cluster.yaml')],
    });
  });

  test('without one: a one-line reason that says what to do instead', async () => {
    await expect(recoveryCommand(live(machineRoot()), createRunner())).rejects.toThrow(
      /^Recovery: this boot names no spec; s, then virtualinux reset --spec FILE NODE$/,
    );
  });
});

/** The Unattended entry: where the spec comes from, what is said about it, the verdict line. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createRunner } from '../../../core/exec/runner.ts';
import { exampleSpecText } from '../../../core/spec/example.ts';
import { parseBootRequest } from '../../../installer/boot-request.ts';
import { observeSpecSources } from '../../../installer/machine.ts';
import { runUnattended } from '../../../installer/unattended.ts';
import {
  formatInstallResult,
  fwCfgPath,
  parseInstallResult,
  RESULT_MARKER,
  SPEC_FW_CFG,
} from '../../../installer/unattended-protocol.ts';

/** a directory standing in for / with the fw_cfg file the lab gives, when `spec` is set */
function machineRoot(spec?: string): string {
  const root = mkdtempSync(join(tmpdir(), 'vl-unattended-'));
  if (spec !== undefined) {
    const file = join(root, fwCfgPath(SPEC_FW_CFG));
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, spec);
  }
  return root;
}

async function unattended(
  root: string,
  cmdline = 'vl.mode=unattended',
  fetchText?: (url: string) => Promise<string>,
) {
  const boot = parseBootRequest(cmdline);
  let said = '';
  const result = await runUnattended({
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
  test('a valid spec by fw_cfg: summarised, and the verdict says no engine yet', async () => {
    const { result, said } = await unattended(machineRoot(exampleSpecText()));
    expect(result.status).toBe('no-engine');
    expect(said).toContain('cluster spec from QEMU fw_cfg opt/org.virtualinux/cluster.yaml');
    expect(said).toContain(
      'the spec is valid: cluster lab: 3 blades, SAN iqn.2026-11.org.virtualinux:lab.san at 10.0.2.2:3260',
    );
    const verdict = said.trimEnd().split('\n').at(-1) ?? '';
    expect(verdict.startsWith(`${RESULT_MARKER} no-engine cluster lab: 3 blades`)).toBe(true);
    expect(parseInstallResult(verdict).status).toBe('no-engine');
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
    expect(ok.result.status).toBe('no-engine');
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

/**
 * The Unattended install entry (vl.mode=unattended): find the cluster spec where the boot says it
 * may be (a VLSPEC drive, QEMU fw_cfg, vl.spec=URL), check it with the spec's own checker, put the
 * CHAP secrets handed over with it where the spec says they are, run the install engine with
 * consent given (the boot entry is the consent; a LUN with foreign data is still refused unless
 * vl.wipe=NAME), and end with one verdict line (unattended-protocol.ts) that whoever watches the
 * console can act on.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../core/errors.ts';
import type { Runner } from '../core/exec/runner.ts';
import { expandBlades } from '../core/spec/derive.ts';
import { checkSpecText } from '../core/spec/load.ts';
import type { Spec } from '../core/spec/schema.ts';
import { formatProblem } from '../core/yaml/problems.ts';
import type { BootRequest, SpecSourceSeen } from './boot-request.ts';
import { install } from './engine/command.ts';
import { DEFAULT_MEDIUM, type InstallResult } from './engine/install.ts';
import {
  formatInstallResult,
  fwCfgPath,
  type InstallStatus,
  SECRET_FW_CFG,
  TARGET_SECRET_FW_CFG,
} from './unattended-protocol.ts';

export interface UnattendedOptions {
  version: string;
  boot: BootRequest;
  /** the sources as observed on this machine (observeSpecSources) */
  sources: readonly SpecSourceSeen[];
  /** where / is (tests use a directory) */
  root: string;
  runner: Runner;
  write: (text: string) => void;
  /** fetch for vl.spec=URL; the global one by default */
  fetchText?: (url: string) => Promise<string>;
  /** the install engine; tests give a stand-in */
  install?: (spec: Spec, env: NodeJS.ProcessEnv) => Promise<InstallResult>;
}

export interface UnattendedResult {
  status: InstallStatus;
  message: string;
}

interface FoundSpec {
  text: string;
  /** how the administrator names the place */
  from: string;
}

const SPEC_FILE = 'cluster.yaml';

/** the spec text from the first source that has one; what each source said when none has */
async function readSpec(options: UnattendedOptions): Promise<FoundSpec | { tried: string[] }> {
  const tried: string[] = [];
  for (const seen of options.sources) {
    const { source } = seen;
    if (source.kind === 'fw_cfg' && source.path) {
      const path = join(options.root, source.path);
      if (existsSync(path)) return { text: readFileSync(path, 'utf8'), from: source.label };
      tried.push(`${source.label}: not there`);
    } else if (source.kind === 'drive' && source.path) {
      const device = join(options.root, source.path);
      if (!existsSync(device)) {
        tried.push(`${source.label}: no such drive`);
        continue;
      }
      const mountpoint = join(options.root, 'run/virtualinux/vlspec');
      mkdirSync(mountpoint, { recursive: true });
      try {
        await options.runner.run({ tool: 'mount', args: ['-o', 'ro', device, mountpoint] });
        const file = join(mountpoint, SPEC_FILE);
        if (existsSync(file))
          return { text: readFileSync(file, 'utf8'), from: `${SPEC_FILE} on ${source.label}` };
        tried.push(`${source.label}: has no ${SPEC_FILE} at its top`);
      } catch (error) {
        tried.push(`${source.label}: cannot mount it (${(error as Error).message.split('\n')[0]})`);
      } finally {
        await options.runner.run({ tool: 'umount', args: [mountpoint] }).catch(() => undefined);
      }
    } else if (source.kind === 'url') {
      const url = options.boot.specUrl;
      if (url === undefined) {
        tried.push(`${source.label}: not given`);
        continue;
      }
      try {
        const fetchText =
          options.fetchText ??
          (async (u: string) => {
            const response = await fetch(u, { signal: AbortSignal.timeout(30_000) });
            if (!response.ok) throw new Error(`HTTP ${response.status}`);
            return response.text();
          });
        return { text: await fetchText(url), from: url };
      } catch (error) {
        tried.push(`${url}: ${(error as Error).message}`);
      }
    }
  }
  return { tried };
}

export async function runUnattended(options: UnattendedOptions): Promise<UnattendedResult> {
  const say = (line: string) => options.write(`${line}\n`);
  const verdict = (status: InstallStatus, message: string): UnattendedResult => {
    say(formatInstallResult(status, message));
    return { status, message };
  };
  say(`VirtuaLinux ${options.version}: unattended install`);
  const found = await readSpec(options);
  if ('tried' in found) {
    for (const line of found.tried) say(`  ${line}`);
    return verdict(
      'failed',
      'no cluster spec found: give one on a drive labelled VLSPEC (cluster.yaml at its top), by QEMU fw_cfg opt/org.virtualinux/cluster.yaml, or with vl.spec=URL',
    );
  }
  say(`cluster spec from ${found.from}`);
  const checked = checkSpecText(found.text);
  if (!checked.ok) {
    for (const problem of checked.problems) say(formatProblem(found.from, problem));
    return verdict(
      'failed',
      `the cluster spec from ${found.from} has ${checked.problems.length} problem(s), listed above`,
    );
  }
  const spec = checked.spec;
  const blades = expandBlades(spec);
  const portals = spec.san.portals.map((p) => `${p.address}:${p.port ?? 3260}`).join(', ');
  const summary = `cluster ${spec.cluster.name}: ${blades.length} blades, SAN ${spec.san.target} at ${portals}`;
  say(`the spec is valid: ${summary}`);
  try {
    const env = provideSecrets(spec, options.root, say);
    const engine =
      options.install ??
      ((s: Spec, e: NodeJS.ProcessEnv) =>
        install({
          spec: s,
          dryRun: false,
          yes: true,
          out: { write: options.write },
          env: e,
          root: options.root,
          medium: join(options.root, DEFAULT_MEDIUM),
          ...(options.boot.wipe !== undefined && { wipe: options.boot.wipe }),
        }));
    const result = await engine(spec, env);
    return verdict(
      'installed',
      `${summary}; ${result.ran.length === 0 ? 'already installed, nothing to do' : `${result.ran.length} actions`} on ${result.lun}`,
    );
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    say(error.message);
    if (error.hint) say(`  ${error.hint}`);
    return verdict('failed', headline(error.message));
  }
}

/** the message's first line; when that only announces what follows ("...:"), the next line too */
export function headline(message: string): string {
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const [first = 'the install failed', second] = lines;
  return first.endsWith(':') && second !== undefined ? `${first} ${second}` : first;
}

/**
 * For the guided installer: the spec the boot names, when there is one and it passes the spec's
 * checker, written to a file for `install --tui --spec` (its CHAP secrets put in place, as for
 * the unattended install); undefined when there is none, or it has problems (the screens ask).
 */
export async function specFromBoot(
  options: Pick<UnattendedOptions, 'boot' | 'sources' | 'root' | 'runner' | 'fetchText'>,
): Promise<{ file: string; from: string } | undefined> {
  const found = await readSpec({ ...options, version: '', write: () => {} });
  if ('tried' in found) return undefined;
  const checked = checkSpecText(found.text);
  if (!checked.ok) return undefined;
  provideSecrets(checked.spec, options.root, () => {});
  const file = join(options.root, 'run/virtualinux/guided/cluster.yaml');
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, found.text, { mode: 0o600 });
  return { file, from: found.from };
}

/**
 * The secrets handed over with the spec (fw_cfg) go where the spec's references point: a file
 * (mode 0600) or, for env:NAME, the install's environment. A secret already in place is kept.
 */
function provideSecrets(spec: Spec, root: string, say: (line: string) => void): NodeJS.ProcessEnv {
  const env = { ...process.env };
  const chap = spec.san.chap;
  const handed: Array<[ref: string | undefined, fwCfg: string]> = [
    [chap?.secret, SECRET_FW_CFG],
    [chap?.mutual?.secret, TARGET_SECRET_FW_CFG],
  ];
  for (const [ref, name] of handed) {
    const from = join(root, fwCfgPath(name));
    if (ref === undefined || !existsSync(from)) continue;
    const secret = readFileSync(from, 'utf8').replace(/\r?\n$/, '');
    if (ref.startsWith('env:')) env[ref.slice(4)] ??= secret;
    else {
      const file = join(root, ref.slice('file:'.length));
      if (existsSync(file)) continue;
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, `${secret}\n`, { mode: 0o600 });
      chmodSync(file, 0o600);
    }
    say(`CHAP secret from QEMU fw_cfg ${name} put in ${ref}`);
  }
  return env;
}

/**
 * The Unattended install entry (vl.mode=unattended): find the cluster spec where the boot says it
 * may be (a VLSPEC drive, QEMU fw_cfg, vl.spec=URL), check it with the spec's own checker, and end
 * with one verdict line (unattended-protocol.ts) that whoever watches the console can act on.
 * Until the install engine lands, a valid spec ends as `no-engine`: received, checked, nothing
 * written.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from '../core/exec/runner.ts';
import { expandBlades } from '../core/spec/derive.ts';
import { checkSpecText } from '../core/spec/load.ts';
import { formatProblem } from '../core/yaml/problems.ts';
import type { BootRequest, SpecSourceSeen } from './boot-request.ts';
import { formatInstallResult, type InstallStatus } from './unattended-protocol.ts';

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
  return verdict(
    'no-engine',
    `${summary}; spec from ${found.from}; this version (${options.version}) has no install engine yet`,
  );
}

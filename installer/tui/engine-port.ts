/**
 * The engine port on the install engine, for the DVD: the interfaces as `ip -j` shows them, the
 * SAN's targets and LUNs through the engine's own discovery, login and LUN observer, the plan of
 * `virtualinux install --dry-run`, and the install itself (runInstall). Every command goes through
 * the exec layer's runner with this port's secrets: the CHAP secret typed on the SAN screen is
 * hidden in every event and message, and reaches iscsid through iscsid.conf (mode 0600), never a
 * command line.
 */
import { chmodSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../../core/errors.ts';
import { EventBus, type EventSink } from '../../core/exec/events.ts';
import { createRunner, type Runner, type RunnerOptions } from '../../core/exec/runner.ts';
import { Secrets } from '../../core/exec/secrets.ts';
import { META_VOLUME } from '../../core/spec/derive.ts';
import { Portal as PortalText } from '../../core/spec/primitives.ts';
import { imageLogger } from '../../images/progress.ts';
import { describeContents, lunHolder } from '../engine/classify.ts';
import { type Enlisting, type EnlistOptions, listenForRequests } from '../engine/dhcp.ts';
import {
  DEFAULT_MEDIUM,
  DEFAULT_WORK_DIR,
  describePlan,
  type InstallEvent,
  type InstallRequest,
  runInstall,
} from '../engine/install.ts';
import type { LunObservation } from '../engine/observation.ts';
import { observeLun } from '../engine/observe.ts';
import {
  bringUpSif,
  configureInitiator,
  formatPortal,
  initiatorNameOf,
  iscsiSessions,
  loginTarget,
  logoutTarget,
  type Portal,
  parseIpAddr,
  sendTargets,
  type TargetsOffered,
  targetLuns,
} from '../engine/san.ts';
import { saveSpecToUsb } from '../engine/usb.ts';
import { observeNetwork } from './network-observer.ts';
import type {
  EnginePort,
  InstallOutcome,
  LunSummary,
  NetworkObservation,
  PlanRequest,
  PlanSummary,
  PortalProbe,
  SanDiscovery,
  SanRequest,
} from './port.ts';

export interface EnginePortOptions {
  /** where the DVD is mounted */
  medium?: string;
  /** where the install mounts what it writes, and keeps its lock and journal */
  workDir?: string;
  /** the initiator name SAN discovery logs in with (a spec's installer name); absent: the machine's own */
  initiator?: string;
  /** stands in for / (tests): /proc/cmdline, /sys/class/net, /etc/iscsi, /dev/disk/by-path, the secret file */
  root?: string;
  env?: NodeJS.ProcessEnv;
  /** how long the boot's portal has to accept a TCP connection */
  probeTimeoutMs?: number;
  /** how long udev has to name a target's LUNs after the login */
  lunsAppearMs?: number;
  /** makes the runners (tests give one that replays recorded output) */
  makeRunner?: (options: RunnerOptions) => Runner;
}

/** the plan the Review showed, what it was asked with, and what `install --dry-run` would have printed */
interface Reviewed {
  request: PlanRequest;
  summary: PlanSummary;
  transcript: string[];
}

export class InstallEnginePort implements EnginePort {
  readonly #secrets = new Secrets();
  readonly #root: string;
  #reviewed: Reviewed | undefined;

  constructor(private readonly options: EnginePortOptions = {}) {
    this.#root = options.root ?? '/';
  }

  observeNetwork(): Promise<NetworkObservation> {
    return observeNetwork(this.#runner(), this.#root, this.options.probeTimeoutMs ?? 2000);
  }

  /**
   * Enlisting (`install --tui --enlist`): the live system leaves its NICs down, so the Ethernet
   * ones are brought up (no address: a blade's DISCOVER is a broadcast), then the DHCP requests
   * that come are heard and none answered. Infiniband blades cannot be enlisted: chaddr does not
   * hold their address.
   */
  async enlist(
    onMac: (mac: string) => void,
    where: Pick<EnlistOptions, 'port' | 'address'> = {},
  ): Promise<Enlisting> {
    const runner = this.#runner();
    const links = parseIpAddr((await runner.run({ tool: 'ip', args: ['-j', 'addr', 'show'] })).stdout);
    for (const link of links) {
      if (link.link_type === 'ether' && link.operstate === 'DOWN')
        await runner.run({ tool: 'ip', args: ['link', 'set', 'dev', link.ifname, 'up'] });
    }
    return listenForRequests({ onMac, ...where });
  }

  /**
   * SendTargets on every portal, then a login to each target offered (through the first portal
   * that offers it, one path as the install does) to read its LUNs; the sessions it opened are
   * closed again, those it found open are left.
   */
  async discoverSan(request: SanRequest): Promise<SanDiscovery> {
    const runner = this.#runner();
    const chap = request.chap && { secret: this.#secret(request.chap.secret) };
    // as the install does: the portals answer only once sif is up with an address
    if (request.fabric) await bringUpSif({ spec: { fabric: request.fabric }, runner, say: () => {} });
    await configureInitiator(
      {
        ...(this.options.initiator !== undefined && { initiator: this.options.initiator }),
        ...(request.chap && { chapUser: request.chap.user }),
        ...(chap && { chap }),
        root: this.#root,
      },
      runner,
    );
    const initiator = initiatorNameOf(this.#root);
    const probes: PortalProbe[] = [];
    const offered = new Map<string, Portal>();
    for (const portal of request.portals.map(portalOf)) {
      const seen = await sendTargets(portal, runner);
      probes.push(probeOf(portal, seen, initiator));
      for (const { target } of seen.found) if (!offered.has(target)) offered.set(target, portal);
    }
    const open = await iscsiSessions(runner);
    const luns: LunSummary[] = [];
    for (const [target, portal] of offered) {
      const opened = !open.some((s) => s.target === target && s.portal === formatPortal(portal));
      if (opened) await this.#login(portal, target, request, initiator, runner);
      try {
        luns.push(...(await this.#lunsOf(portal, target, runner)));
      } finally {
        if (opened) await logoutTarget(portal, target, runner);
      }
    }
    return { portals: probes, luns };
  }

  /** the plan of `install --dry-run`: the network, the login, the LUN observed, planInstall; nothing written */
  async plan(request: PlanRequest): Promise<PlanSummary> {
    this.#reviewed = undefined;
    const transcript: string[] = [];
    const out = { write: (text: string) => transcript.push(this.#secrets.redact(text)) };
    const events = new EventBus<InstallEvent>();
    events.on(imageLogger(out, { tty: false, verbose: false }));
    const result = await runInstall(
      this.#installRequest(request, events, (line) => out.write(`${line}\n`), true),
    );
    const summary: PlanSummary = {
      lun: result.lun,
      verdict: result.plan.verdict,
      lines: describePlan(result.plan, result.lun),
      actions: result.plan.actions.map(({ id, description }) => ({ id, description })),
    };
    this.#reviewed = { request, summary, transcript };
    return summary;
  }

  /**
   * The install of the plan reviewed last. The engine observes the LUN and plans again, as a rerun
   * of the command line would; an action that is not the reviewed one at its place stops it before
   * its first command, and so does the signal, between two commands.
   */
  async apply(sink: EventSink<InstallEvent>, signal: AbortSignal): Promise<InstallOutcome> {
    const reviewed = this.#reviewed;
    if (!reviewed) {
      throw new UserError(
        'there is no reviewed plan to install',
        'the Review screen makes one: go back to it',
      );
    }
    this.#putSecret(reviewed.request);
    const events = new EventBus<InstallEvent>();
    events.on((event) => sink.emit(event));
    const changed = new AbortController();
    events.on(onlyReviewed(reviewed.summary, changed));
    const stop = AbortSignal.any([signal, changed.signal]);
    const request = this.#installRequest(reviewed.request, events, () => {}, false);
    const result = await runInstall({ ...request, runner: stoppable(request.runner, stop) });
    const ran = new Set(result.ran);
    return {
      lun: result.lun,
      created: result.plan.actions.filter((a) => ran.has(a.id)).map((a) => a.description),
      specSaved: `${result.plan.layout.vg}/${META_VOLUME} on the LUN (as cluster.json, defaults filled in)`,
    };
  }

  /** Done: cluster.yaml as the screens made it, onto the first USB stick plugged in */
  saveToUsb(specText: string): Promise<string> {
    return saveSpecToUsb(specText, this.#runner(), this.#root);
  }

  /** what `virtualinux install --dry-run` prints for the plan reviewed last: lines and commands */
  reviewedTranscript(): string[] {
    return this.#reviewed?.transcript.join('').trimEnd().split('\n') ?? [];
  }

  #runner(options: RunnerOptions = {}): Runner {
    const make = this.options.makeRunner ?? createRunner;
    return make({ secrets: this.#secrets, ...options });
  }

  /** every secret is registered before anything that could show it runs */
  #secret(secret: string): string {
    this.#secrets.add(secret);
    return secret;
  }

  #installRequest(
    request: PlanRequest,
    events: EventBus<InstallEvent>,
    say: (line: string) => void,
    dryRun: boolean,
  ): InstallRequest {
    const { spec } = request;
    const secret = spec.san.chap ? request.chapSecret : undefined;
    const chap = secret === undefined ? undefined : { secret: this.#secret(secret) };
    return {
      spec,
      runner: this.#runner({ events }),
      dryRunner: this.#runner({ events, dryRun: true }),
      dryRun,
      // consent is the Review screen's: Install pressed, and the cluster's name typed to erase
      yes: true,
      events,
      say,
      ...(request.wipe && { wipe: spec.cluster.name }),
      ...(chap && { chap }),
      medium: this.options.medium ?? join(this.#root, DEFAULT_MEDIUM),
      workDir: this.options.workDir ?? join(this.#root, DEFAULT_WORK_DIR),
      root: this.#root,
      ...(this.options.env && { env: this.options.env }),
    };
  }

  /** the secret typed on the SAN screen goes where the spec says it is (file:, mode 0600) */
  #putSecret({ spec, chapSecret }: PlanRequest): void {
    const ref = spec.san.chap?.secret;
    if (chapSecret === undefined || !ref?.startsWith('file:')) return;
    const file = join(this.#root, ref.slice('file:'.length));
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${chapSecret}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }

  async #login(
    portal: Portal,
    target: string,
    request: SanRequest,
    initiator: string | undefined,
    runner: Runner,
  ): Promise<void> {
    const refused = await loginTarget(portal, target, 'tcp', runner);
    if (!refused) return;
    const who = initiator ? `initiator ${initiator}` : "this machine's initiator";
    if (refused.authorization) {
      throw new UserError(
        `the SAN at ${formatPortal(portal)} refused the login to ${target} (authorization failure)`,
        request.chap
          ? `check the CHAP user (${request.chap.user}) and secret, and that the target lets ${who} in`
          : `the target may want CHAP (a user and secret above), or may not let ${who} in`,
      );
    }
    throw new UserError(
      `the login to ${target} at ${formatPortal(portal)} failed: ${refused.reason}`,
      `check that the target accepts ${who}`,
    );
  }

  /** the LUNs of a target logged in to, each observed as the install would observe it */
  async #lunsOf(portal: Portal, target: string, runner: Runner): Promise<LunSummary[]> {
    // the kernel scans the target after the login: udev names the LUNs a moment later
    const deadline = Date.now() + (this.options.lunsAppearMs ?? 10_000);
    let found: Awaited<ReturnType<typeof targetLuns>> = [];
    for (;;) {
      await runner.run({ tool: 'udevadm', args: ['settle', '--timeout=30'] });
      found = await targetLuns(portal, target, runner, this.#root);
      if (found.length > 0 || Date.now() > deadline) break;
      await sleep(1000);
    }
    const luns: LunSummary[] = [];
    for (const { lun, byPath } of found.sort((a, b) => a.lun - b.lun)) {
      const observed = await observeLun(realpathSync(join(this.#root, byPath)), runner);
      luns.push(lunSummary(target, lun, observed));
    }
    return luns;
  }
}

// ---- the SAN -----------------------------------------------------------------------------------

/** ADDRESS[:PORT] as the spec reads it: the SAN screen checked it with the spec's checker */
function portalOf(text: string): Portal {
  const parsed = PortalText.safeParse(text);
  if (!parsed.success) throw new UserError(`"${text}" is not a portal`, 'write ADDRESS or ADDRESS:PORT');
  return parsed.data;
}

function probeOf(portal: Portal, seen: TargetsOffered, initiator: string | undefined): PortalProbe {
  const name = formatPortal(portal);
  if (seen.problem) return { portal: name, answers: seen.answered, detail: seen.problem };
  if (seen.found.length > 0) return { portal: name, answers: true };
  const who = initiator ? `initiator ${initiator}` : "this machine's initiator";
  return { portal: name, answers: true, detail: `answers, but offers no target to ${who}` };
}

function lunSummary(target: string, lun: number, observed: LunObservation): LunSummary {
  const holder = lunHolder(observed);
  return {
    target,
    lun,
    bytes: observed.bytes,
    device: observed.device,
    ...(observed.vendor && { vendor: observed.vendor }),
    ...(observed.model && { model: observed.model }),
    owner: holder.kind === 'fresh' ? 'empty' : holder.kind,
    ...(holder.kind === 'cluster' && { cluster: holder.cluster }),
    contents: holder.kind === 'fresh' ? [] : describeContents(observed),
  };
}

// ---- the install -------------------------------------------------------------------------------

/** a runner that starts no command once the signal aborts: the running one ends, none follows */
function stoppable(runner: Runner, signal: AbortSignal): Runner {
  return {
    dryRun: runner.dryRun,
    run: (command) => (signal.aborted ? Promise.reject(stopReason(signal)) : runner.run(command)),
  };
}

const stopReason = (signal: AbortSignal) =>
  signal.reason instanceof UserError ? signal.reason : new UserError('stopped by the administrator');

/** stops the install at the first action that is not the reviewed one at its place */
function onlyReviewed(reviewed: PlanSummary, changed: AbortController) {
  const refuse = (what: string) =>
    changed.abort(
      new UserError(
        `the LUN changed since the Review: ${what}; nothing of it was written`,
        'leave the installer and start it again: the Review then shows the plan for the LUN as it is now',
      ),
    );
  return (event: InstallEvent) => {
    if (event.type === 'plan-start' && event.actions !== reviewed.actions.length) {
      refuse(`the plan has ${event.actions} actions now, the Review showed ${reviewed.actions.length}`);
    }
    if (event.type === 'action-start' && reviewed.actions[event.index - 1]?.id !== event.id) {
      refuse(`action ${event.index} is now "${event.description}"`);
    }
  };
}

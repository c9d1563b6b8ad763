/**
 * The guided installer: the model held in one reducer, every key read here and turned into an
 * intent (keys.ts), the screen of the moment rendered from the state, and the requests of the
 * model carried out through the engine port. Nothing here runs a command: the port does, and its
 * answers come back as intents.
 */
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Manifest } from '../../images/manifest.ts';
import type { InstallEvent } from '../engine/install.ts';
import { entryNames, newMacs, nextBladeName } from './blades.ts';
import { type ItemId, itemById, SCREEN_TITLES, WIZARD } from './fields.ts';
import {
  bladeListProblems,
  entryProblems,
  erases,
  itemsOf,
  problemsElsewhere,
  shownProblems,
} from './form.ts';
import { keyIntent, splitKeys } from './keys.ts';
import { layoutPreview } from './layout-preview.ts';
import { type Intent, reduce } from './model.ts';
import { type EnginePort, failureOf } from './port.ts';
import { Cluster } from './screens/cluster.tsx';
import { Done } from './screens/done.tsx';
import { Help } from './screens/help.tsx';
import { Images } from './screens/images.tsx';
import { Network } from './screens/network.tsx';
import { Progress } from './screens/progress.tsx';
import { Review } from './screens/review.tsx';
import { San } from './screens/san.tsx';
import { PRODUCT, Welcome } from './screens/welcome.tsx';
import { imageOffers, initialState, type Request, type State } from './state.ts';
import { type Theme, ThemeContext, themeFor, useTheme } from './theme.ts';
import type { KeptWalk } from './walk.ts';

export type { EnginePort } from './port.ts';

export interface AppProps {
  port: EnginePort;
  version: string;
  /** the DVD's image manifests, by name */
  images?: Record<string, Manifest>;
  /** MACs that appeared on the network (DHCP requests of unknown blades), as they come */
  enlisted?: readonly string[];
  /** blades brought as YAML or CSV text (a file on a USB stick), with where it came from */
  importText?: { label: string; text: string };
  /** where the dialogue starts: tests, or a resumed session */
  initial?: State;
  /** NO_COLOR and TERM decide the colours; default: this process's environment */
  env?: NodeJS.ProcessEnv;
  clock?: () => number;
  /** `!`: the wiring suspends the screen and runs a root shell; its exit status, when it ran one */
  onShell?: () => number | undefined;
  /** the administrator leaves the installer (after the install, or when asked) */
  onExit?: () => void;
  /** the answers so far, each time they or the screen change, before anything is carried out: the wiring keeps them (walk.ts) */
  onWalk?: (state: State) => void;
  /** the walk of a guided installer that died, which `initial` was made from: Welcome says so */
  resumed?: KeptWalk;
}

type Dispatch = (intent: Intent) => void;

/** what carrying out a request needs: the port, the callbacks of the wiring, Ink's exit */
interface Carrier {
  port: EnginePort;
  clock: () => number;
  onShell: (() => number | undefined) | undefined;
  onExit: (() => void) | undefined;
  exit: () => void;
  /** the install running, to stop it */
  install: { current: AbortController | undefined };
}

/** carries out one request of the model; the engine's answers come back as intents */
function carryOut(request: Request, carrier: Carrier, dispatch: Dispatch): void {
  const { port, clock } = carrier;
  switch (request.kind) {
    case 'observe-network':
      port.observeNetwork().then(
        (observation) => dispatch({ type: 'network-observed', observation }),
        (error) => dispatch({ type: 'network-failed', failure: failureOf(error) }),
      );
      return;
    case 'discover-san':
      port.discoverSan(request.request).then(
        (discovery) => dispatch({ type: 'san-discovered', discovery }),
        (error) => dispatch({ type: 'san-failed', failure: failureOf(error) }),
      );
      return;
    case 'plan':
      port.plan(request.request).then(
        (plan) => dispatch({ type: 'planned', plan }),
        (error) => dispatch({ type: 'plan-refused', failure: failureOf(error) }),
      );
      return;
    case 'apply': {
      const controller = new AbortController();
      carrier.install.current = controller;
      const events = {
        emit: (event: InstallEvent) => dispatch({ type: 'install-event', event, at: clock() }),
      };
      port.apply(events, controller.signal).then(
        (outcome) => dispatch({ type: 'install-finished', outcome, at: clock() }),
        (error) => dispatch({ type: 'install-failed', failure: failureOf(error), at: clock() }),
      );
      return;
    }
    case 'stop':
      carrier.install.current?.abort();
      return;
    case 'save-usb':
      port.saveToUsb(request.text).then(
        (where) => dispatch({ type: 'usb-saved', where }),
        (error) => dispatch({ type: 'usb-failed', failure: failureOf(error) }),
      );
      return;
    case 'shell': {
      // the shell has the terminal until it exits; its status comes back to the key line
      const status = carrier.onShell?.();
      if (status !== undefined) dispatch({ type: 'shell-returned', status });
      return;
    }
    case 'quit':
      carrier.onExit?.();
      carrier.exit();
      return;
  }
}

/**
 * The model: reduced as each intent comes, each new request carried out at once (several may come
 * between two renders: none is skipped), and rendered by React when it renders. React may render
 * later than the intent (Ink batches input), so what reads the model between renders (the keys)
 * asks `current()`, never the state of the last render.
 */
function useModel(
  initial: () => State,
  carry: (request: Request, dispatch: Dispatch) => void,
  /** the answers or the screen changed: called before any request is carried out (a `!` shell blocks) */
  walked: (state: State) => void,
): [State, Dispatch, () => State] {
  const [first] = useState(initial);
  const model = useRef(first);
  const carrier = useRef(carry);
  carrier.current = carry;
  const walker = useRef(walked);
  walker.current = walked;
  const [state, setState] = useState(first);
  const dispatch = useCallback((intent: Intent) => {
    const was = model.current;
    model.current = reduce(was, intent);
    if (model.current.spec !== was.spec || model.current.screen !== was.screen) walker.current(model.current);
    setState(model.current);
    const { request } = model.current;
    if (request && request.seq > (was.request?.seq ?? 0)) carrier.current(request, dispatch);
  }, []);
  // the request the dialogue starts with: a look at the network
  useEffect(() => {
    walker.current(first);
    if (first.request) carrier.current(first.request, dispatch);
  }, [first, dispatch]);
  return [state, dispatch, () => model.current];
}

/** the clock ticks each second while the install runs: elapsed and left stay current */
function useTicks(running: boolean, clock: () => number, dispatch: Dispatch) {
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => dispatch({ type: 'tick', at: clock() }), 1000);
    return () => clearInterval(timer);
  }, [running, clock, dispatch]);
}

/** a terminal that does not say its size (a serial line) is taken as the console it most likely is */
const sizeOf = (stdout: NodeJS.WriteStream) => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });

function useTerminalSize() {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => sizeOf(stdout));
  useEffect(() => {
    const resized = () => setSize(sizeOf(stdout));
    stdout.on('resize', resized);
    return () => {
      stdout.off('resize', resized);
    };
  }, [stdout]);
  return size;
}

function keyHints(state: State): string {
  const hints = screenKeyHints(state);
  // short: the key line of the widest screen still fits 80 columns with it
  return state.shellStatus === undefined ? hints : `(shell: exit ${state.shellStatus})  ${hints}`;
}

function screenKeyHints(state: State): string {
  if (state.screen === 'progress') return 'l log   Ctrl-C stop   ? help';
  if (state.screen === 'welcome') return 'Enter begins   ? help   ! shell   Ctrl-C quit';
  if (state.screen === 'done') return 'Enter leaves   ? help   ! shell';
  const item = state.focus === undefined ? undefined : itemById(state.focus);
  const rest = 'Tab next   Esc back   ? help   ! shell';
  switch (item?.kind) {
    case 'text':
      return item.id === 'secret'
        ? 'typed, never shown   Tab next   Esc back'
        : `type; Backspace erases   ${rest}`;
    case 'list':
      if (item.id === 'images') return `↑↓ move   Space take/leave   ${rest}`;
      if (item.id === 'blades') return `↑↓ move   Enter edit   Del remove   ${rest}`;
      return `↑↓ move   Enter choose   ${rest}`;
    case 'toggle':
      return `Space switch   ${rest}`;
    default:
      return `Enter press   ${rest}`;
  }
}

function Header({ state, version }: { state: State; version: string }) {
  const { style } = useTheme();
  const step = WIZARD.indexOf(state.screen);
  const where =
    step > 0 ? `${step}/${WIZARD.length - 1} ${SCREEN_TITLES[state.screen]}` : SCREEN_TITLES[state.screen];
  return (
    <Text wrap="truncate-end" {...style('title')}>
      {`${PRODUCT} ${version} - ${where}`}
    </Text>
  );
}

function Question({ overlay, written }: { overlay: 'ask-quit' | 'ask-stop'; written: boolean }) {
  const { style } = useTheme();
  const question =
    overlay === 'ask-stop'
      ? 'Stop the install after the running command? y stops, any other key goes on.'
      : written
        ? 'Leave? Installing again later completes the LUN. y leaves, any other key stays.'
        : 'Leave the installer? Nothing is written yet. y leaves, any other key stays.';
  return (
    <Text wrap="truncate-end" {...style('warning')}>
      {question}
    </Text>
  );
}

/** problems on screens already passed: a rule across fields may only speak up later */
function Elsewhere({ lines }: { lines: readonly string[] }) {
  const { style } = useTheme();
  if (lines.length === 0) return null;
  const shown = lines.slice(0, 2);
  return (
    <Box flexDirection="column">
      {shown.map((line) => (
        <Text key={line} wrap="truncate-end" {...style('error')}>
          ! {line}
        </Text>
      ))}
      {lines.length > shown.length && (
        <Text {...style('error')}>{`! and ${lines.length - shown.length} more (Review lists them all)`}</Text>
      )}
    </Box>
  );
}

function problemsOf(state: State): Partial<Record<ItemId, readonly string[]>> {
  return Object.fromEntries(itemsOf(state).map((item) => [item.id, shownProblems(state, item.id)]));
}

interface ScreenProps {
  state: State;
  version: string;
  resumed?: KeptWalk | undefined;
  width: number;
  height: number;
}

function CurrentScreen({ state, version, resumed, ...size }: ScreenProps) {
  const form = {
    ...size,
    focus: state.focus,
    problems: problemsOf(state),
    notices: state.notices,
  };
  const { values, cursors } = state;
  const plan = state.plan.state === 'seen' ? state.plan.value : undefined;
  const clusterName = state.spec.cluster.name ?? '';
  switch (state.screen) {
    case 'welcome':
      return <Welcome version={version} {...(resumed && { resumed })} {...form} />;
    case 'network':
      return (
        <Network
          {...form}
          network={state.network}
          sif={state.sif}
          cursor={cursors.interfaces ?? 0}
          addressing={state.addressing}
          cidr={values['fabric.cidr']}
          modules={values['fabric.modules']}
        />
      );
    case 'san':
      return (
        <San
          {...form}
          portals={values['san.portals']}
          chapUser={values['san.chap.user']}
          secretLength={values.secret.length}
          discovery={state.discovery}
          chosen={state.lun}
          cursor={cursors.luns ?? 0}
          transport={state.transport}
        />
      );
    case 'cluster':
      return (
        <Cluster
          {...form}
          name={values['cluster.name']}
          domain={values['cluster.domain']}
          network={values['network.cidr']}
          nodes={state.nodes}
          bladeCursor={cursors.blades ?? 0}
          entryProblems={state.nodes.map((_, i) => entryProblems(state, i))}
          listProblems={bladeListProblems(state)}
          range={values.range}
          firstMac={values.firstMac}
          enlisted={newMacs(state.enlisted, state.nodes)}
          enlistCursor={cursors.enlisted ?? 0}
          nextName={nextBladeName(state.nodes)}
          offer={state.offer}
        />
      );
    case 'images':
      return (
        <Images
          {...form}
          offers={imageOffers(state.dvd).map((m) => ({
            name: m.name,
            description: m.description,
            packedBytes: m.archive.bytes,
            unpackedBytes: m.unpackedBytes,
          }))}
          chosen={state.images}
          cursor={cursors.images ?? 0}
          preview={state.check.spec ? layoutPreview(state.check.spec, state.dvd) : undefined}
        />
      );
    case 'review':
      return (
        <Review
          {...form}
          plan={state.plan}
          cursor={cursors.plan ?? 0}
          clusterName={clusterName}
          erases={plan !== undefined && erases(plan)}
          confirm={values.confirm}
          standing={problemsElsewhere(state)}
        />
      );
    case 'progress':
      return state.install ? (
        <Progress
          {...form}
          progress={state.install}
          title={`Installing cluster ${clusterName}${plan ? ` on ${plan.lun}` : ''}`}
        />
      ) : null;
    case 'done': {
      const install = state.install;
      const seconds =
        install?.startedAt !== undefined && install.now !== undefined
          ? (install.now - install.startedAt) / 1000
          : undefined;
      return state.outcome ? (
        <Done
          {...form}
          outcome={state.outcome}
          clusterName={clusterName}
          exampleBlade={state.nodes.flatMap((e) => entryNames(e) ?? [])[0] ?? 'node01'}
          seconds={seconds}
          usb={state.usb}
          focus={state.focus === 'usb' ? 'usb' : state.focus === 'continue' ? 'continue' : undefined}
        />
      ) : null;
    }
  }
}

export function App(props: AppProps) {
  const latest = useRef(props);
  latest.current = props;
  const install = useRef<AbortController | undefined>(undefined);
  const { exit } = useApp();
  const carry = (request: Request, dispatch: Dispatch) => {
    const { port, clock = Date.now, onShell, onExit } = latest.current;
    carryOut(request, { port, clock, onShell, onExit, exit, install }, dispatch);
  };
  const [state, dispatch, current] = useModel(
    () => props.initial ?? initialState(props.images),
    carry,
    (walked) => latest.current.onWalk?.(walked),
  );
  const theme: Theme = useMemo(() => themeFor(props.env ?? process.env), [props.env]);
  const { columns, rows } = useTerminalSize();
  const clock = props.clock ?? Date.now;
  useTicks(state.install?.state === 'running', clock, dispatch);
  useEffect(() => {
    if (props.enlisted) dispatch({ type: 'enlisted', macs: [...props.enlisted] });
  }, [props.enlisted, dispatch]);
  useEffect(() => {
    if (props.importText) dispatch({ type: 'import-offered', ...props.importText });
  }, [props.importText, dispatch]);
  // One reader for every key, and it reads the model as the intents before it left it: keys typed
  // faster than React renders (a paste, a fast serial line) each meet the state they follow.
  useInput((input, key) => {
    for (const [typed, pressed] of splitKeys(input, key)) {
      const intent = keyIntent(typed, pressed, current());
      if (intent) dispatch(intent);
    }
  });

  const asking = state.overlay === 'ask-quit' || state.overlay === 'ask-stop' ? state.overlay : undefined;
  const elsewhere = state.screen === 'review' || state.overlay ? [] : problemsElsewhere(state);
  const elsewhereLines = Math.min(elsewhere.length, 3);
  const header = state.screen === 'welcome' ? 0 : 1;
  const height = rows - header - 1 - elsewhereLines - (asking ? 1 : 0);
  return (
    <ThemeContext.Provider value={theme}>
      {/* every frame exactly as tall as the terminal: Ink (6.8) writes a frame that fills the
          terminal at once, a shorter one through its throttled writer; frames of both kinds in a row
          can land out of order and leave a stale line on a slow console */}
      <Box flexDirection="column" width={columns} height={rows}>
        {header > 0 && <Header state={state} version={props.version} />}
        {state.overlay === 'help' ? (
          <Help screen={state.screen} width={columns} />
        ) : (
          <CurrentScreen
            state={state}
            version={props.version}
            resumed={props.resumed}
            width={columns}
            height={height}
          />
        )}
        <Box flexGrow={1} />
        <Elsewhere lines={elsewhere} />
        {asking && <Question overlay={asking} written={state.install !== undefined} />}
        <Text wrap="truncate-end" {...theme.style('muted')}>
          {keyHints(state)}
        </Text>
      </Box>
    </ThemeContext.Provider>
  );
}

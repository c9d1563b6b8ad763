/**
 * The guided installer's walk kept while it runs (walk.ts): what is kept (never the secret), how it
 * is read back, and guide() as wired: a walk left by a guided installer that died is the next
 * start, with Welcome saying so; leaving drops it.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test, vi } from 'vitest';
import type { Command } from '../../../../core/exec/command.ts';
import { guide } from '../../../../installer/tui/guided.tsx';
import type { NetworkObservation } from '../../../../installer/tui/port.ts';
import { initialState, type State } from '../../../../installer/tui/state.ts';
import {
  dropWalk,
  type KeptWalk,
  keepWalk,
  liveWalkFile,
  readKeptWalk,
  walkOf,
} from '../../../../installer/tui/walk.ts';
import { IMAGES, NETWORK, RecordedPort, SECRET, walkTo } from './fixtures.ts';
import { KEY, plain, Screen, StdinStub, settle, until } from './terminal.tsx';

// install --tui unsets CI before Ink loads (is-in-ci is read once, and under CI Ink draws only its
// last frame): these tests read the frames a terminal shows, so the same here, before Ink is imported
vi.hoisted(() => {
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function walkFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vl-walk-'));
  dirs.push(dir);
  return join(dir, 'run/virtualinux/guided-walk.json');
}

test('on the live system each console keeps its own walk: the guided installer may run on two at once', () => {
  expect(liveWalkFile('ttyS0')).toBe('/run/virtualinux/guided-walk-ttyS0.json');
  expect(liveWalkFile('pts/3')).toBe('/run/virtualinux/guided-walk-pts-3.json');
  expect(liveWalkFile(undefined)).toBe('/run/virtualinux/guided-walk.json');
});

const AT = new Date('2026-11-29T14:02:07.123Z');

test('the walk is the spec the screens made and the screen reached; the secret is never in it', () => {
  const walk = walkOf(walkTo('images'), AT);
  expect(walk.screen).toBe('images');
  expect(walk.at).toBe('2026-11-29T14:02:07.123Z');
  expect(walk.spec.cluster?.name).toBe('lab');
  expect(walk.spec.nodes).toEqual([{ name: 'node[01-03]', mac: '52:54:00:42:00:01' }]);
  expect(walk.spec.san?.chap).toEqual({ user: 'lab', secret: 'file:/etc/virtualinux/chap.secret' });
  expect(JSON.stringify(walk)).not.toContain(SECRET);
  // the install's progress and Done are the Review's walk: a restart goes through the Review again
  expect(walkOf({ ...walkTo('review'), screen: 'progress' }, AT).screen).toBe('review');
  expect(walkOf({ ...walkTo('review'), screen: 'done' }, AT).screen).toBe('review');
});

test('kept through a rename with mode 0600, read back as kept; a file that is not a walk is no walk', () => {
  const file = walkFile();
  expect(readKeptWalk(file)).toBeUndefined();
  const walk = walkOf(walkTo('cluster'), AT);
  keepWalk(file, walk);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(readKeptWalk(file)).toEqual(walk);
  for (const text of [
    '{"screen":',
    '[]',
    '{"screen":"done","spec":{},"at":"x"}',
    '{"screen":"san","spec":[],"at":"x"}',
  ]) {
    writeFileSync(file, text);
    expect(readKeptWalk(file)).toBeUndefined();
  }
  dropWalk(file);
  dropWalk(file);
  expect(readKeptWalk(file)).toBeUndefined();
  // where nothing can be written (a file stands where its directory would be): the dialogue goes on
  writeFileSync(file, '');
  expect(() => keepWalk(join(file, 'below-a-file.json'), walk)).not.toThrow();
});

function dialogue(
  file: string,
  initial: State = walkTo('network'),
  shell?: Command,
  port = new RecordedPort(),
) {
  const stdin = new StdinStub();
  const screen = new Screen(80, 24);
  const exit = guide({
    port: Object.assign(port, { reviewedTranscript: () => [] }),
    dryRun: false,
    images: IMAGES,
    initial,
    ...(shell && { shell }),
    walkFile: file,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stdout: screen as unknown as NodeJS.WriteStream,
    out: { write: () => {} },
    env: {},
  });
  const frame = () => plain(screen.frames.at(-1) ?? '');
  // keys typed before Ink listens are lost: a loaded machine mounts its input hook late
  const listening = () => until(() => expect(stdin.listenerCount('readable')).toBeGreaterThan(0));
  return { stdin, exit, frame, listening };
}

async function leave({ stdin, exit, frame, listening }: ReturnType<typeof dialogue>) {
  await listening();
  stdin.write(KEY.ctrlC);
  await until(() => expect(frame()).toContain('Leave the installer?'));
  stdin.write('y');
  expect(await exit).toBe(0);
}

test('guide() keeps the walk as it goes; a second start from it says so on Welcome and has its answers; leaving drops it', {
  timeout: 20_000,
}, async () => {
  const file = walkFile();
  const first = dialogue(file, walkTo('cluster'));
  await until(() => expect(readKeptWalk(file)?.screen).toBe('cluster'));
  // typed on the Cluster screen: kept at once
  await first.listening();
  first.stdin.write('lab');
  await until(() => expect(readKeptWalk(file)?.spec.cluster?.name).toBe('lab'));
  expect(readFileSync(file, 'utf8')).not.toContain(SECRET);
  const kept = readKeptWalk(file) as KeptWalk;
  // the first one "dies" here: its walk stays as it was, and a new start finds it
  const second = dialogue(file, walkTo('network'));
  await until(() => expect(second.frame()).toContain('The guided installer stopped at'));
  const welcome = second.frame().replace(/\s+/g, ' ');
  expect(welcome).toContain(
    `stopped at ${kept.at.slice(11, 16)} UTC on the Cluster screen without being left`,
  );
  expect(welcome).toContain('the CHAP secret as the boot gave it');
  // its answers are filled in: Welcome, then Network (its interface chosen), SAN (portals, user)
  await second.listening();
  second.stdin.write(KEY.enter);
  await until(() => expect(second.frame()).toContain('1/5 Network'));
  second.stdin.write(KEY.shiftTab);
  await settle();
  second.stdin.write(KEY.enter);
  await until(() => expect(second.frame()).toContain('2/5 SAN'));
  expect(second.frame()).toMatch(/CHAP user +lab/);
  await leave(second);
  expect(readKeptWalk(file)).toBeUndefined();
  await leave(first);
});

test('the walk is kept before anything is carried out: a `!` shell typed with the key that changed the screen finds it kept', {
  timeout: 20_000,
}, async () => {
  const file = walkFile();
  // the shell copies the walk as it finds it, and the dialogue waits for it (as for a root shell)
  const shell: Command = { tool: 'sh', args: ['-c', `cp ${file} ${file}.at-shell`] };
  const started = dialogue(file, initialState(IMAGES), shell);
  await until(() => expect(readKeptWalk(file)?.screen).toBe('welcome'));
  await settle();
  // Enter (to Network) and ! in one read, as a fast serial line delivers them
  await started.listening();
  started.stdin.write(`${KEY.enter}!`);
  await until(() => expect(readKeptWalk(`${file}.at-shell`)?.screen).toBe('network'));
  await leave(started);
});

test('left while the engine still looks at the network: its answer, coming after, does not keep the walk again', {
  timeout: 20_000,
}, async () => {
  const file = walkFile();
  let answer: (observation: NetworkObservation) => void = () => {};
  const port = new RecordedPort();
  port.observeNetwork = () => new Promise((resolve) => (answer = resolve));
  const started = dialogue(file, initialState(IMAGES), undefined, port);
  await until(() => expect(readKeptWalk(file)?.screen).toBe('welcome'));
  await leave(started);
  expect(readKeptWalk(file)).toBeUndefined();
  answer(NETWORK);
  await settle();
  expect(readKeptWalk(file)).toBeUndefined();
});

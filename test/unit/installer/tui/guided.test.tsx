/**
 * `install --tui` as wired: the App on the real engine port, on a machine and SAN replayed from
 * recorded outputs (recorded-san.ts), started at the Review as an administrator would reach it.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test, vi } from 'vitest';
import { InstallEnginePort } from '../../../../installer/tui/engine-port.ts';
import { guide } from '../../../../installer/tui/guided.tsx';
import { IMAGES, RecordedPort, SECRET, walkTo } from './fixtures.ts';
import { RecordedSan, TARGET } from './recorded-san.ts';
import { KEY, plain, Screen, StdinStub, settle, until } from './terminal.tsx';

// install --tui unsets CI before Ink loads (is-in-ci is read once, and under CI Ink draws only its
// last frame): these tests read the frames a terminal shows, so the same here, before Ink is imported
vi.hoisted(() => {
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
});

const sans: RecordedSan[] = [];
afterEach(() => {
  for (const san of sans.splice(0)) rmSync(san.root, { recursive: true, force: true });
});

/** the dialogue at the Review of a fresh LUN, its plan being made; `applied` settles when an install ends */
function atReview(dryRun: boolean) {
  const san = new RecordedSan({ luns: { 1: 'fresh' } });
  sans.push(san);
  const engine = new InstallEnginePort({
    root: san.root,
    workDir: join(san.root, 'run/virtualinux/install'),
    lunsAppearMs: 0,
    makeRunner: san.makeRunner,
  });
  const watched = { applied: Promise.resolve() };
  const port = {
    observeNetwork: () => engine.observeNetwork(),
    discoverSan: engine.discoverSan.bind(engine),
    plan: engine.plan.bind(engine),
    saveToUsb: engine.saveToUsb.bind(engine),
    apply: (...args: Parameters<InstallEnginePort['apply']>) => {
      const applying = engine.apply(...args);
      watched.applied = applying.then(
        () => undefined,
        () => undefined,
      );
      return applying;
    },
    reviewedTranscript: () => engine.reviewedTranscript(),
  };
  const stdin = new StdinStub();
  let printed = '';
  const exit = guide({
    port,
    dryRun,
    images: IMAGES,
    initial: walkTo('review'),
    stdin: stdin as unknown as NodeJS.ReadStream,
    stdout: new Screen(100, 40) as unknown as NodeJS.WriteStream,
    out: { write: (text: string) => (printed += text) },
    env: {},
  });
  return { san, engine, stdin, exit, watched, printed: () => printed };
}

const WRITERS = /^(sgdisk|wipefs --all|pvcreate|vgcreate|lvcreate|mkfs|dd|mount|grub-install|tar)\b/;

test('--dry-run: Install on the Review leaves the screens and prints the plan with every command; nothing is written', async () => {
  const { san, engine, stdin, exit, printed } = atReview(true);
  await until(() => expect(engine.reviewedTranscript().length).toBeGreaterThan(0));
  await settle();
  stdin.write(KEY.enter);
  expect(await exit).toBe(0);
  const lines = printed().trimEnd().split('\n');
  expect(lines).toContain(`SAN: portal 10.0.2.2:3260 offers ${TARGET}`);
  expect(
    lines.some((l) => l.startsWith('LUN /dev/loop0 (40 GiB) (/dev/disk/by-path/ip-10.0.2.2:3260-')),
  ).toBe(true);
  expect(lines.filter((l) => l.startsWith('(dry run) $ sgdisk --clear '))).toHaveLength(1);
  expect(lines.at(-1)).toBe('dry run: nothing was written');
  expect(printed()).not.toContain(SECRET);
  expect(san.lines().filter((l) => WRITERS.test(l))).toEqual([]);
});

test('an install that does not finish: the screens stay to show why, and leaving them exits 1', async () => {
  const { san, engine, stdin, exit, watched } = atReview(false);
  await until(() => expect(engine.reviewedTranscript().length).toBeGreaterThan(0));
  // the LUN is written from elsewhere between the Review and the install
  san.holds(1, 'partial');
  await settle();
  stdin.write(KEY.enter);
  await until(() => expect(san.lines().filter((l) => l.startsWith('lsblk'))).toHaveLength(2));
  await watched.applied;
  await settle();
  stdin.write(KEY.ctrlC);
  await settle();
  stdin.write('y');
  expect(await exit).toBe(1);
  expect(san.lines().filter((l) => WRITERS.test(l))).toEqual([]);
});

test('the terminal is raw before the first frame: a Ctrl-C typed as Welcome appears is a key, not a SIGINT', {
  timeout: 20_000,
}, async () => {
  const modes: boolean[] = [];
  const stdin = new StdinStub();
  let raw = false;
  stdin.setRawMode = (on: boolean) => {
    raw = on;
  };
  const screen = new Screen(80, 24);
  const write = screen.write;
  screen.write = (frame: string) => {
    modes.push(raw);
    return write(frame);
  };
  const exit = guide({
    port: Object.assign(new RecordedPort(), { reviewedTranscript: () => [] }),
    dryRun: true,
    images: IMAGES,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stdout: screen as unknown as NodeJS.WriteStream,
    out: { write: () => {} },
    env: {},
  });
  await until(() => expect(modes.length).toBeGreaterThan(0));
  expect(modes[0]).toBe(true);
  // keys typed before Ink listens are lost (a stub keeps none): a loaded machine mounts its hook late
  await until(() => expect(stdin.listenerCount('readable')).toBeGreaterThan(0));
  stdin.write(KEY.ctrlC);
  await until(() => expect(plain(screen.frames.at(-1) ?? '')).toContain('Leave the installer?'));
  stdin.write('y');
  expect(await exit).toBe(0);
});

/**
 * The installer bundle as the DVD ships it: one file, run by a bare `node` far from node_modules,
 * the same bytes every time. Runs it on a pipe (line mode) and on a pseudo-terminal (raw keys,
 * through util-linux `script`), the way the live system's consoles do.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { exampleSpecText } from '../../../core/spec/example.ts';
import { bundleInstaller, type InstallerBundle, packageRoot } from '../../../installer/bundle.ts';
import { withClosedStdout } from '../harness/closed-pipe.ts';

const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string })
  .version;
let dir: string;
let bundle: string;
let first: InstallerBundle;
let second: InstallerBundle;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vl-installer-bundle-'));
  bundle = join(dir, 'a', 'installer.mjs');
  first = await bundleInstaller(bundle, version);
  second = await bundleInstaller(join(dir, 'b', 'other-name.mjs'), version);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function machineRoot(cmdline: string, files: string[] = [], content = 'name: lab\n'): string {
  const root = mkdtempSync(join(dir, 'root-'));
  mkdirSync(join(root, 'proc'));
  writeFileSync(join(root, 'proc', 'cmdline'), `${cmdline}\n`);
  for (const file of files) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), content);
  }
  return root;
}

/** runs the bundle with a bare node, from a directory with no node_modules, keys on a pipe */
const runOnPipe = (args: string[], input: string) =>
  execa('node', [bundle, ...args], { input, cwd: dir, reject: false, env: { PATH: '/usr/bin:/bin' } });

test('two bundles of the same inputs are the same bytes, wherever they are written', () => {
  expect(second.sha256).toBe(first.sha256);
  expect(second.bytes).toBe(first.bytes);
  expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(readFileSync(bundle).byteLength).toBe(first.bytes);
});

test('the bundle lists what it read: the installer, core, and the node_modules it pulled in', () => {
  expect(first.inputs).toContain(join(packageRoot, 'installer', 'main.ts'));
  expect(first.inputs).toContain(join(packageRoot, 'core', 'exec', 'runner.ts'));
  expect(first.inputs.some((input) => input.includes('/node_modules/execa/'))).toBe(true);
  expect(first.inputs).toEqual([...first.inputs].sort());
  for (const input of first.inputs) expect(existsSync(input), input).toBe(true);
});

test('on a pipe it shows the product, the version and the menu; i starts the guided installer, which needs a terminal', async () => {
  const root = machineRoot('BOOT_IMAGE=/live/vmlinuz boot=live vl.mode=install');
  const result = await runOnPipe(['--root', root], 'i\n');
  // the child: the bundle again, as `install --tui --enlist`, refusing in one line
  expect(result.stderr).toBe(
    [
      'virtualinux: the guided installer (--tui) needs a terminal, and stdin or stdout is not one',
      '  without a terminal, install from a cluster spec: virtualinux install --spec FILE',
    ].join('\n'),
  );
  expect(result.exitCode).toBe(0);
  const screens = result.stdout.split(`VirtuaLinux installer ${version}\n`);
  expect(screens).toHaveLength(3);
  for (const label of ['Install', 'Unattended install', 'Recovery (factory reset)', 'Shell (root)']) {
    expect(result.stdout).toContain(`  ${label}\n`);
  }
  expect(result.stdout).toContain('Boot mode: install (vl.mode=install)');
  expect(screens[1]).toContain(
    '\nThe guided installer needs a terminal, and this console is not one: s for a shell.\n',
  );
  expect(screens[2]).toContain('\nBack from the guided installer (exit status 1).\n');
  expect(result.stdout).not.toContain('\u001b[');
});

test('an unattended boot says where the spec is looked for, finds it in fw_cfg, checks it, and gives its verdict once', async () => {
  const fwCfg = 'sys/firmware/qemu_fw_cfg/by_name/opt/org.virtualinux/cluster.yaml/raw';
  const root = machineRoot(
    'vl.mode=unattended vl.spec=http://10.0.2.2/cluster.yaml',
    [fwCfg],
    exampleSpecText(),
  );
  const result = await runOnPipe(['--root', root, '--tty', 'tty1'], '');
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toContain('cluster spec from QEMU fw_cfg opt/org.virtualinux/cluster.yaml\n');
  // the engine runs, and stops before it touches anything: no CHAP secret was handed over with
  // the spec (the lab's e2e test installs for real)
  expect(result.stdout).toContain(
    '\n  write the secret there, readable by root only: install -m 0600 /dev/stdin /etc/virtualinux/chap.secret\n' +
      'VIRTUALINUX-INSTALL-RESULT: failed san.chap.secret: the secret file /etc/virtualinux/chap.secret (file:/etc/virtualinux/chap.secret) does not exist\n',
  );
  expect(result.stdout).toContain('\nUnattended install: failed (its messages are above; s for a shell).\n');
  // the unit restarts the installer whenever it exits: the verdict is not given twice
  const again = await runOnPipe(['--root', root, '--tty', 'tty1'], '');
  expect(again.stdout).not.toContain('VIRTUALINUX-INSTALL-RESULT');
  expect(again.stdout).toContain('Unattended install: failed');
  // on a console that is not the kernel's primary one, nothing runs
  const serialPrimary = machineRoot('vl.mode=unattended console=ttyS0,115200n8', [fwCfg], exampleSpecText());
  const other = await runOnPipe(['--root', serialPrimary, '--tty', 'tty1'], '');
  expect(other.stdout).not.toContain('VIRTUALINUX-INSTALL-RESULT');
  expect(other.stdout).toContain('The unattended install runs on ttyS0; its verdict is shown there.');
  expect(result.stdout).toMatch(/a drive labelled VLSPEC +not found\n/);
  expect(result.stdout).toMatch(/QEMU fw_cfg opt\/org\.virtualinux\/cluster\.yaml +found\n/);
  expect(result.stdout).toMatch(
    /vl\.spec=URL on the kernel command line +http:\/\/10\.0\.2\.2\/cluster\.yaml\n/,
  );
});

test('--version prints the version fixed at bundle time; a bad option is a usage error, no stack', async () => {
  expect((await runOnPipe(['--version'], '')).stdout).toBe(version);
  const bad = await runOnPipe(['--cmdline'], '');
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toMatch(/^virtualinux-installer: Option '--cmdline <value>' argument missing/);
  expect(bad.stderr).not.toMatch(/\n\s+at /);
  const missing = await runOnPipe(['--cmdline', join(dir, 'nothing')], '');
  expect(missing.exitCode).toBe(1);
  expect(missing.stderr).toMatch(/cannot read the kernel command line from .*nothing: ENOENT/);
});

test('a command whose reader closes the pipe early (| head) ends quietly, no stack', async () => {
  const spec = join(dir, 'cluster.yaml');
  writeFileSync(spec, exampleSpecText());
  const piped = await withClosedStdout('node', [bundle, 'spec', 'check', spec], {
    cwd: dir,
    env: { PATH: '/usr/bin:/bin' },
  });
  expect(piped.stderr).toBe('');
  expect(piped.exitCode).toBe(0);
});

test('on a terminal one key gives a root shell, and exit comes back to the menu', async () => {
  const root = machineRoot('vl.mode=recovery');
  // script(1) gives the installer a pseudo-terminal, as systemd gives it /dev/tty1 or /dev/ttyS0
  const child = execa('script', ['-qfec', `node ${bundle} --root ${root}`, '/dev/null'], {
    cwd: dir,
    reject: false,
    env: { PATH: '/usr/bin:/bin', TERM: 'dumb', HOME: dir },
    timeout: 60_000,
  });
  let seen = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    seen += chunk.toString();
    for (const waiter of waiters.filter((w) => w.pattern.test(seen))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      if (pattern.test(seen)) return resolve();
      const timer = setTimeout(
        () => reject(new Error(`no ${pattern} in 20 s; the terminal showed:\n${seen}`)),
        20_000,
      );
      waiters.push({
        pattern,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });

  try {
    await waitFor(/Press a key: $/);
    expect(seen).toContain('> f  Recovery (factory reset)');
    child.stdin?.write('s');
    await waitFor(/Root shell: type exit/);
    child.stdin?.write('echo vl-shell-$((6*7))\n');
    await waitFor(/vl-shell-42/);
    child.stdin?.write('exit 5\n');
    await waitFor(/Back from the shell \(exit status 5\)\.\r?\nPress a key: $/);
    child.stdin?.write('\u0003');
    expect((await child).exitCode).toBe(0);
  } finally {
    child.kill('SIGKILL');
  }
});

/** how many functions a WebAssembly binary defines: the count that opens its code section (10) */
function wasmFunctionCount(binary: Buffer): number {
  let at = 8; // magic and version
  const leb = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = binary[at++] ?? 0;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < binary.length) {
    const id = binary[at++];
    const size = leb();
    if (id === 10) return leb();
    at += size;
  }
  throw new Error('no code section in the WebAssembly binary');
}

test("the guided installer's layout engine (yoga, WebAssembly) is compiled whole by Liftoff before the Welcome, and never again", async () => {
  // the binary Ink's yoga-layout carries, as the bundle inlines it
  const carrier = readFileSync(
    join(packageRoot, 'node_modules/yoga-layout/dist/binaries/yoga-wasm-base64-esm.js'),
    'utf8',
  );
  const yoga = wasmFunctionCount(Buffer.from(/base64,([A-Za-z0-9+/=]+)/.exec(carrier)?.[1] ?? '', 'base64'));
  const medium = join(dir, 'medium');
  mkdirSync(join(medium, 'images'), { recursive: true });
  // V8 prints a line for every function it compiles; the installer sets its flags itself (core/cli/wasm.ts)
  const command = `node --trace-wasm-compilation-times ${bundle} install --tui --dry-run --medium ${medium}`;
  const child = execa('script', ['-qfec', command, '/dev/null'], {
    cwd: dir,
    reject: false,
    // not CI's environment: Ink draws only its last frame under CI
    env: { PATH: '/usr/bin:/bin', TERM: 'xterm-256color', HOME: dir },
    extendEnv: false,
    timeout: 60_000,
  });
  let seen = '';
  const welcome = new Promise<void>((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('[ Begin ]')) resolve();
    });
  });
  try {
    await Promise.race([welcome, child]);
    // a few screens more: layouts enough for V8 to tier hot functions up, were it to
    child.stdin?.write('\r');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    child.stdin?.write('\u001b');
    await new Promise((resolve) => setTimeout(resolve, 1500));
  } finally {
    child.kill('SIGKILL');
  }
  await child;
  expect(seen, seen.slice(-2000)).toContain('[ Begin ]');
  const compiled = [...seen.matchAll(/Compiled function (0x[0-9a-f]+)#(\d+) using (\w+)/g)].map((m) => ({
    module: m[1],
    index: m[2],
    by: m[3],
    at: m.index,
  }));
  const modules = new Set(compiled.map((c) => c.module));
  const yogaCompiled =
    [...modules].map((m) => compiled.filter((c) => c.module === m)).find((list) => list.length >= yoga) ?? [];
  expect(new Set(yogaCompiled.map((c) => c.index)).size).toBe(yoga);
  expect(yogaCompiled).toHaveLength(yoga);
  expect(new Set(compiled.map((c) => c.by))).toEqual(new Set(['Liftoff']));
  const firstFrame = seen.indexOf('[ Begin ]');
  for (const c of yogaCompiled) expect(c.at).toBeLessThan(firstFrame);
});

import { expect, test } from 'vitest';
import { UserError } from '../../../core/errors.ts';
import type { BootRequest } from '../../../installer/boot-request.ts';
import type { PowerAction } from '../../../installer/menu.ts';
import { type InstallerConsole, type InstallerMachine, runSession } from '../../../installer/session.ts';

/** a console that types the given keys, then ends, and records what was shown and done */
function recorded(keys: string[], machine: Partial<InstallerMachine> = {}, boot: BootRequest = {}) {
  const pending = [...keys];
  const log: string[] = [];
  let screen = '';
  const terminal: InstallerConsole = {
    input: 'keys',
    write: (text) => {
      screen += text;
    },
    nextKey: async () => pending.shift(),
    release: () => log.push('release'),
    reclaim: () => log.push('reclaim'),
    clear: () => log.push('clear'),
  };
  const fullMachine: InstallerMachine = {
    shell: async () => {
      log.push('shell');
      return 0;
    },
    guided: async () => {
      log.push('guided');
      return 0;
    },
    unattended: async () => {
      log.push('unattended');
      return 'Unattended install: installed (its messages are above; s for a shell).';
    },
    recovery: async () => {
      log.push('recovery');
      return 0;
    },
    power: async (action: PowerAction) => {
      log.push(action);
    },
    ...machine,
  };
  const run = () =>
    runSession({ version: '9.9.9', boot, specSources: [], console: terminal, machine: fullMachine });
  return { run, log, screen: () => screen };
}

test('the first screen names the product and version; the end of input ends the session', async () => {
  const session = recorded([]);
  expect(await session.run()).toBe(0);
  expect(session.screen()).toMatch(/^VirtuaLinux installer 9\.9\.9\n/);
  expect(session.log).toEqual(['clear']);
});

test('s hands the console to a root shell and comes back to the menu when it exits', async () => {
  const session = recorded(['s'], {
    shell: async () => {
      session.log.push('shell');
      return 3;
    },
  });
  await session.run();
  expect(session.log).toEqual(['clear', 'release', 'shell', 'reclaim', 'clear']);
  expect(session.screen()).toContain('Root shell: type exit (or Ctrl-D) to come back to the installer.\n');
  expect(session.screen()).toContain('Back from the shell (exit status 3).\nPress a key: ');
});

test('a shell that cannot start is said in one line, and the menu is back', async () => {
  const session = recorded(['s'], {
    shell: async () => {
      throw new UserError('could not start /bin/bash: ENOENT');
    },
  });
  await session.run();
  expect(session.log).toEqual(['clear', 'release', 'reclaim', 'clear']);
  expect(session.screen()).toContain('could not start /bin/bash: ENOENT\nPress a key: ');
});

test('reboot asks first, then asks systemd', async () => {
  const session = recorded(['b', 'y']);
  await session.run();
  expect(session.log.filter((entry) => entry !== 'clear')).toEqual(['reboot']);
  expect(session.screen()).toContain('Reboot now? Press y to confirm');
  expect(session.screen()).toContain('\nReboot...\n');
});

test('a power action that fails shows the first and last line of the error, no stack', async () => {
  const session = recorded(['p', 'y'], {
    power: async () => {
      throw new UserError(
        'systemctl failed with exit code 1; last lines of stderr:\n  Failed to connect to bus',
      );
    },
  });
  await session.run();
  expect(session.screen()).toContain(
    'systemctl failed with exit code 1; last lines of stderr: Failed to connect to bus\nPress a key: ',
  );
  expect(session.screen()).not.toMatch(/\bat .+:\d+:\d+/);
});

test('an unattended boot opens on the unattended entry', async () => {
  const session = recorded([], {}, { mode: 'unattended' });
  await session.run();
  expect(session.screen()).toContain('> u  Unattended install');
});

test('i hands the console to the guided installer, and the menu says how it ended', async () => {
  const session = recorded(['i'], {
    guided: async () => {
      session.log.push('guided');
      return 1;
    },
  });
  await session.run();
  expect(session.log).toEqual(['clear', 'release', 'guided', 'reclaim', 'clear']);
  expect(session.screen()).toContain('Back from the guided installer (exit status 1).\nPress a key: ');
});

test('u runs the unattended install again on this console; its verdict is the notice', async () => {
  const session = recorded(['u']);
  await session.run();
  expect(session.log).toEqual(['clear', 'release', 'unattended', 'reclaim', 'clear']);
  expect(session.screen()).toContain(
    'Unattended install: installed (its messages are above; s for a shell).\nPress a key: ',
  );
});

test('Ctrl-C leaves the session; the keys after it are not read', async () => {
  const session = recorded(['\u0003', 's']);
  expect(await session.run()).toBe(0);
  expect(session.log).not.toContain('shell');
});

test('f hands the console to the recovery, and the menu says how it ended; no spec is a notice', async () => {
  const session = recorded(['f'], {
    recovery: async () => {
      session.log.push('recovery');
      return 0;
    },
  });
  await session.run();
  expect(session.log).toEqual(['clear', 'release', 'recovery', 'reclaim', 'clear']);
  expect(session.screen()).toContain('Back from recovery (exit status 0).\nPress a key: ');
  const without = recorded(['f'], {
    recovery: async () => {
      throw new UserError("Recovery needs the cluster's spec and this boot names none: s, then …");
    },
  });
  await without.run();
  expect(without.screen()).toContain(
    "Recovery needs the cluster's spec and this boot names none: s, then …\nPress a key: ",
  );
});

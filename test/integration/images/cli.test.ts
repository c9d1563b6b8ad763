/** `virtualinux image …` as an administrator meets it: errors that say what and where, exit codes. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { closedPort, isRoot, labCache, STACK } from './lab-cache.ts';

const lab = labCache('vl-image-cli-');
afterAll(lab.cleanup);

test('image check: the shipped recipes are fine; a typo is located with a did-you-mean', async () => {
  const recipes = new URL('../../../images/recipes/', import.meta.url).pathname;
  const ok = await lab.cli([
    'image',
    'check',
    join(recipes, 'debian-12.yaml'),
    join(recipes, 'rocky-9.yaml'),
  ]);
  expect(ok.exitCode).toBe(0);
  expect(ok.stdout).toContain('debian-12.yaml: ok: image debian-12, debian bookworm by mmdebstrap');
  const dir = join(lab.dir, 'bad');
  mkdirSync(dir);
  const file = join(dir, 'guest.yaml');
  writeFileSync(
    file,
    'name: guest\ndescription: x\ndistribution: debian\nrelease: bookworm\nbuilder: mmdebstrap\nmirorr: http://x\n',
  );
  const bad = await lab.cli(['image', 'check', file]);
  expect(bad.exitCode).toBe(1);
  expect(bad.stderr).not.toMatch(STACK);
  expect(bad.stderr).toContain(`${file}:6:1: mirorr: unknown key "mirorr" (did you mean "mirror"?)`);
});

test('image build: no name is a usage error; an unknown name lists the known ones', async () => {
  expect((await lab.cli(['image', 'build'])).exitCode).toBe(2);
  const unknown = await lab.cli(['image', 'build', 'debian12']);
  expect(unknown.exitCode).toBe(1);
  expect(unknown.stderr).toBe(
    'virtualinux: no image recipe named "debian12"\n  the recipes in ' +
      `${new URL('../../../images/recipes', import.meta.url).pathname} are: alpine-3.20, debian-12, live, node, rocky-9, ubuntu-24.04`,
  );
});

test('image build --dry-run shows every step and the exact commands, and builds nothing', async () => {
  const run = await lab.cli(['image', 'build', 'node', '--dry-run']);
  expect(run.exitCode).toBe(0);
  expect(run.stderr).toContain('(dry run) $ SOURCE_DATE_EPOCH=1764000000 mmdebstrap --mode=root');
  expect(run.stderr).toContain('-> [4/5] regenerate the initramfs');
  expect(run.stderr).toContain('== image node: 5 actions shown, nothing changed');
  const list = await lab.cli(['image', 'list', '--json']);
  expect(JSON.parse(list.stdout).every((row: { cached: boolean }) => !row.cached)).toBe(true);
});

test.runIf(isRoot)('an unreachable mirror fails the build within 60 s, naming the mirror', async () => {
  const mirror = `http://127.0.0.1:${await closedPort()}/debian`;
  const started = performance.now();
  const run = await lab.cli(['image', 'build', 'debian-12', '--mirror', mirror]);
  expect(performance.now() - started).toBeLessThan(60_000);
  expect(run.exitCode).toBe(1);
  expect(run.stderr).toBe(
    `virtualinux: cannot reach the mirror ${mirror}: the connection was refused\n` +
      '  check the network, or pass --mirror URL with a reachable copy of the archive',
  );
});

test.runIf(isRoot)(
  'ubuntu-24.04 without the Ubuntu keyring: the build stops before the mirror, naming the package',
  async (context) => {
    if (existsSync('/usr/share/keyrings/ubuntu-archive-keyring.gpg'))
      context.skip('the Ubuntu keyring is installed here');
    const run = await lab.cli(['image', 'build', 'ubuntu-24.04']);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toBe(
      'virtualinux: the keyring /usr/share/keyrings/ubuntu-archive-keyring.gpg of image ubuntu-24.04 is not on this machine\n' +
        '  it comes with the package ubuntu-keyring: apt-get install ubuntu-keyring (Debian 12 does not carry it; take the .deb from an Ubuntu mirror, pool/main/u/ubuntu-keyring/)',
    );
  },
);

test.runIf(isRoot)(
  'rocky-9 with an unreachable mirror: the dnf build stops at the first repository, naming the mirror',
  async () => {
    const mirror = `http://127.0.0.1:${await closedPort()}/rocky`;
    const run = await lab.cli(['image', 'build', 'rocky-9', '--mirror', mirror]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(
      `virtualinux: cannot reach the mirror ${mirror}: the connection was refused`,
    );
  },
);

test('a bad SOURCE_DATE_EPOCH is refused before anything runs', async () => {
  const { execa } = await import('execa');
  const bin = new URL('../../../bin/virtualinux.js', import.meta.url).pathname;
  const run = await execa(bin, ['image', 'list'], {
    env: { ...lab.env, SOURCE_DATE_EPOCH: 'yesterday' },
    reject: false,
  });
  expect(run.exitCode).toBe(1);
  expect(run.stderr).toContain('SOURCE_DATE_EPOCH=yesterday is not a time');
});

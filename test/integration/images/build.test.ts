/**
 * Real image builds with mmdebstrap against the Debian mirror: debian-12 and node. Runs as root
 * (CI does); takes minutes, most of it installing packages. Each image's cache is kept across runs
 * while nothing the build reads changes (keptCache): a second run of the same commit tests the
 * images the first one built, and debian-12 is built once more all the same, to be byte-identical.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRunner } from '../../../core/exec/runner.ts';
import { listPackages, Manifest, parseOsRelease } from '../../../images/manifest.ts';
import { defaultOverlaysDir } from '../../../images/paths.ts';
import { archiveEntries, EPOCH, isRoot, keptCache, STACK, sha256, unpack } from './lab-cache.ts';

const BUILD_MS = 25 * 60_000;
type Cache = Awaited<ReturnType<typeof keptCache>>;

interface Built {
  archive: string;
  manifest: Manifest;
  root: string;
}

async function build(lab: Cache, name: string, ...more: string[]): Promise<Built & { stdout: string }> {
  const run = await lab.cli(['image', 'build', name, ...more]);
  expect(run.stderr).not.toMatch(STACK);
  expect(run.exitCode, run.stderr.split('\n').slice(-15).join('\n')).toBe(0);
  const archive = /: (?:built|cached): (\S+) /.exec(run.stdout)?.[1];
  expect(archive, run.stdout).toBeDefined();
  const manifest = Manifest.parse(
    JSON.parse(readFileSync(join(archive as string, '..', 'manifest.json'), 'utf8')),
  );
  return {
    archive: archive as string,
    manifest,
    root: join(lab.dir, `unpacked-${name}`),
    stdout: run.stdout,
  };
}

const packagesOf = (root: string) => listPackages(root, createRunner());

describe.runIf(isRoot).sequential('debian-12', () => {
  let lab: Cache;
  let first: Built;
  beforeAll(async () => {
    lab = await keptCache('debian-12', 'vl-images-');
    first = await build(lab, 'debian-12');
    await unpack(first.archive, first.root);
  }, BUILD_MS);
  // removing the unpacked tree takes a while on a busy disk
  afterAll(() => lab?.cleanup(), 300_000);

  test('the archive unpacks to the system its manifest describes: os-release, every package, sha256', async () => {
    const { manifest, root, archive } = first;
    expect(parseOsRelease(readFileSync(join(root, 'usr/lib/os-release'), 'utf8'))).toEqual(
      manifest.osRelease,
    );
    expect(manifest.osRelease).toMatchObject({ ID: 'debian', VERSION_ID: '12' });
    expect(await packagesOf(root)).toEqual(manifest.packages);
    expect(manifest.packages.map((p) => p.name)).toEqual(
      expect.arrayContaining(['linux-image-amd64', 'openssh-server', 'cloud-init']),
    );
    expect(await sha256(archive)).toBe(manifest.archive.sha256);
    expect(statSync(archive).size).toBe(manifest.archive.bytes);
    expect(manifest.sourceDateEpoch).toBe(Number(EPOCH));
    expect(manifest.unpackedBytes).toBeGreaterThan(manifest.archive.bytes);
  });

  test('the image is nobody’s machine: no host keys, no machine id, no host name or resolver of the build host', () => {
    const { root } = first;
    expect(readFileSync(join(root, 'etc/hostname'), 'utf8')).toBe('localhost\n');
    expect(readFileSync(join(root, 'etc/machine-id'), 'utf8')).toBe('');
    expect(existsSync(join(root, 'etc/ssh/ssh_host_ed25519_key'))).toBe(false);
    expect(existsSync(join(root, 'etc/resolv.conf'))).toBe(false);
    expect(existsSync(join(root, 'var/log/dpkg.log'))).toBe(false);
    const overlay = 'etc/cloud/cloud.cfg.d/90-virtualinux.cfg';
    expect(readFileSync(join(root, overlay), 'utf8')).toBe(
      readFileSync(join(defaultOverlaysDir, 'vc', overlay), 'utf8'),
    );
  });

  test('archive entries are sorted, owned by numbers, no newer than SOURCE_DATE_EPOCH', async () => {
    const entries = await archiveEntries(first.archive);
    expect(entries.length).toBeGreaterThan(1000);
    const paths = entries.map((e) => e.path);
    expect(paths[0]).toBe('./');
    expect(Math.max(...entries.map((e) => e.mtime))).toBeLessThanOrEqual(Number(EPOCH));
    const shadow = entries.find((e) => e.path === './etc/shadow');
    expect(shadow).toMatchObject({ uid: 0, gid: 42 });
    const ssh = entries.find((e) => e.path === './usr/lib/openssh/ssh-keysign');
    expect(ssh?.mode).toBe(0o4755);
  });

  test(
    'two builds of the same recipe with the same SOURCE_DATE_EPOCH are byte-identical',
    async () => {
      const again = await build(lab, 'debian-12', '--force');
      expect(again.stdout).toContain('debian-12: built:');
      expect(again.manifest.archive.sha256).toBe(first.manifest.archive.sha256);
      expect(again.manifest.builtAt).not.toBe(first.manifest.builtAt);
    },
    BUILD_MS,
  );

  // how fast that is, bench:images measures (about a second); here: that nothing is built again
  test('with nothing changed, a build returns the cached image and writes nothing', async () => {
    // the entry as it is now (the determinism test above may have rebuilt it with --force)
    const before = statSync(first.archive);
    const manifest = readFileSync(join(first.archive, '..', 'manifest.json'), 'utf8');
    const cached = await build(lab, 'debian-12');
    expect(cached.stdout).toMatch(/^debian-12: cached: /);
    expect(cached.archive).toBe(first.archive);
    const after = statSync(cached.archive);
    expect([after.ino, after.mtimeMs, after.size]).toEqual([before.ino, before.mtimeMs, before.size]);
    expect(readFileSync(join(cached.archive, '..', 'manifest.json'), 'utf8')).toBe(manifest);
  });

  test('image list --json shows it cached, with size and sha256', async () => {
    const run = await lab.cli(['image', 'list', '--json']);
    expect(run.exitCode).toBe(0);
    const rows = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    expect(rows.find((row) => row.name === 'debian-12')).toEqual({
      name: 'debian-12',
      distribution: 'debian',
      release: 'bookworm',
      builder: 'mmdebstrap',
      cached: true,
      size: first.manifest.archive.bytes,
      unpackedSize: first.manifest.unpackedBytes,
      sha256: first.manifest.archive.sha256,
      archive: first.archive,
    });
    expect(rows.find((row) => row.name === 'node')).toMatchObject({
      cached: false,
      size: null,
      sha256: null,
    });
  });
});

describe.runIf(isRoot)('node', () => {
  let lab: Cache;
  let node: Built;
  beforeAll(async () => {
    lab = await keptCache('node', 'vl-images-node-');
    node = await build(lab, 'node');
    await unpack(node.archive, node.root);
  }, BUILD_MS);
  // removing the unpacked tree takes a while on a busy disk
  afterAll(() => lab?.cleanup(), 300_000);

  test('holds the tools a blade runs', () => {
    for (const tool of [
      'usr/sbin/iscsistart',
      'usr/sbin/lvm',
      'usr/sbin/lvmlockd',
      'usr/sbin/sanlock',
      'usr/sbin/dnsmasq',
      'usr/sbin/chronyd',
      'usr/sbin/keepalived',
      'usr/bin/qemu-system-x86_64',
      'usr/sbin/libvirtd',
      'usr/bin/ibv_devices',
    ]) {
      expect(existsSync(join(node.root, tool)), tool).toBe(true);
    }
    expect(node.manifest.osRelease.ID).toBe('debian');
  });

  test('has no iSCSI initiator name of its own: each blade makes one at boot', () => {
    expect(readFileSync(join(node.root, 'etc/iscsi/initiatorname.iscsi'), 'utf8')).toBe('GenerateName=yes\n');
  });

  test('holds every file of overlays/node, byte for byte, with its mode', async () => {
    const { stdout } = await execa('find', ['.', '-type', 'f'], { cwd: join(defaultOverlaysDir, 'node') });
    const files = stdout.split('\n').filter(Boolean);
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      const inImage = join(node.root, file);
      expect(readFileSync(inImage, 'utf8'), file).toBe(
        readFileSync(join(defaultOverlaysDir, 'node', file), 'utf8'),
      );
      expect(statSync(inImage).mode & 0o777, file).toBe(
        statSync(join(defaultOverlaysDir, 'node', file)).mode & 0o777,
      );
    }
  });

  test('its initramfs was rebuilt with the overlay’s hook: iscsistart and the overlay module are in it', async () => {
    const { stdout } = await execa('sh', [
      '-c',
      'chroot "$1" sh -c "lsinitramfs /boot/initrd.img-*"',
      'sh',
      node.root,
    ]);
    expect(stdout).toMatch(/usr\/sbin\/iscsistart$/m);
    expect(stdout).toMatch(/kernel\/fs\/overlayfs\/overlay\.ko/m);
  });
});

/** The builders' command lines, from the shipped recipes: what would run, checked without a mirror. */
import { describe, expect, test } from 'vitest';
import { archiveCommand, archiveProgress } from '../../../images/archive.ts';
import { effectiveMirror, type ImageOptions } from '../../../images/build.ts';
import type { BuildContext } from '../../../images/builders/context.ts';
import { dnfCommand } from '../../../images/builders/dnf.ts';
import { importCommand } from '../../../images/builders/import.ts';
import { mmdebstrapCommand } from '../../../images/builders/mmdebstrap.ts';
import { loadRecipe } from '../../../images/load.ts';
import { defaultOverlaysDir, defaultRecipesDir } from '../../../images/paths.ts';
import type { Recipe } from '../../../images/recipe.ts';

const options: ImageOptions = {
  recipesDir: defaultRecipesDir,
  overlaysDir: defaultOverlaysDir,
  cacheDir: '/var/cache/vl',
};
const context = (recipe: Recipe, mirror?: string): BuildContext => ({
  rootfs: '/var/cache/vl/work/rootfs',
  mirror: effectiveMirror(recipe, { ...options, ...(mirror && { mirror }) }) ?? '',
  sourceDateEpoch: 1764000000,
  packageCache: '/var/cache/vl/apt',
});

function of<B extends Recipe['builder']>(name: string, builder: B): Extract<Recipe, { builder: B }> {
  const recipe = loadRecipe(defaultRecipesDir, name);
  if (recipe.builder !== builder) throw new Error(`${name} is built by ${recipe.builder}`);
  return recipe as Extract<Recipe, { builder: B }>;
}

describe('mmdebstrap (Debian, Ubuntu)', () => {
  test('debian-12: suite, keyring, components, packages, target and mirror, as root into a directory', () => {
    const recipe = of('debian-12', 'mmdebstrap');
    const command = mmdebstrapCommand(recipe, context(recipe));
    expect(command.tool).toBe('mmdebstrap');
    expect(command.args).toEqual(
      expect.arrayContaining([
        '--mode=root',
        '--format=directory',
        '--variant=apt',
        '--components=main',
        '--keyring=/usr/share/keyrings/debian-archive-keyring.gpg',
      ]),
    );
    expect(command.args.slice(-3)).toEqual([
      'bookworm',
      '/var/cache/vl/work/rootfs',
      'http://deb.debian.org/debian',
    ]);
    const include = command.args
      .find((arg) => arg.startsWith('--include='))
      ?.slice('--include='.length)
      .split(',');
    expect(include).toEqual(expect.arrayContaining(['linux-image-amd64', 'openssh-server', 'cloud-init']));
    expect(command.env).toEqual({ SOURCE_DATE_EPOCH: '1764000000' });
  });

  test('downloaded packages go in before apt runs and come out after, under a lock of the shared cache', () => {
    const recipe = of('debian-12', 'mmdebstrap');
    const hooks = mmdebstrapCommand(recipe, context(recipe)).args.filter((arg) => /hook=/.test(arg));
    expect(hooks).toEqual([
      `--setup-hook=mkdir -p '/var/cache/vl/apt' "$1"/var/cache/apt/archives/ && flock '/var/cache/vl/apt/.lock' find '/var/cache/vl/apt' -maxdepth 1 -name '*.deb' -exec cp --preserve=timestamps -t "$1"/var/cache/apt/archives/ {} +`,
      `--customize-hook=flock '/var/cache/vl/apt/.lock' find "$1"/var/cache/apt/archives/ -maxdepth 1 -name '*.deb' -exec cp --preserve=timestamps --no-clobber -t '/var/cache/vl/apt' {} +`,
    ]);
  });

  test('--mirror replaces the recipe’s archive (a trailing slash is dropped)', () => {
    const recipe = of('debian-12', 'mmdebstrap');
    const command = mmdebstrapCommand(recipe, context(recipe, 'http://mirror.example.org/debian/'));
    expect(command.args.at(-1)).toBe('http://mirror.example.org/debian');
  });

  test('ubuntu-24.04: noble with main and universe, checked by the Ubuntu archive keyring', () => {
    const recipe = of('ubuntu-24.04', 'mmdebstrap');
    const command = mmdebstrapCommand(recipe, context(recipe));
    expect(command.args).toEqual(
      expect.arrayContaining([
        '--components=main,universe',
        '--keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg',
      ]),
    );
    expect(command.args.slice(-3)).toEqual([
      'noble',
      '/var/cache/vl/work/rootfs',
      'http://archive.ubuntu.com/ubuntu',
    ]);
    expect(recipe.keyringPackage).toBe('ubuntu-keyring');
    expect(recipe.packages).toEqual(
      expect.arrayContaining(['linux-image-virtual', 'openssh-server', 'cloud-init']),
    );
  });

  test('node: everything a blade runs', () => {
    const recipe = of('node', 'mmdebstrap');
    expect(recipe.packages).toEqual(
      expect.arrayContaining([
        'linux-image-amd64',
        'initramfs-tools',
        'open-iscsi',
        'lvm2',
        'lvm2-lockd',
        'sanlock',
        'thin-provisioning-tools',
        'dnsmasq',
        'chrony',
        'keepalived',
        'nfs-kernel-server',
        'qemu-system-x86',
        'libvirt-daemon-system',
        'rdma-core',
        'ibverbs-utils',
      ]),
    );
    expect(recipe.overlays).toEqual(['node']);
    expect(recipe.initramfs).toBe(true);
  });

  test('a package cache path with a blank or a quote stays one word in the hooks', () => {
    const recipe = of('debian-12', 'mmdebstrap');
    const [setup] = mmdebstrapCommand(recipe, {
      ...context(recipe),
      packageCache: "/var/my cache's",
    }).args.filter((arg) => arg.startsWith('--setup-hook='));
    expect(setup).toContain(`mkdir -p '/var/my cache'\\''s'`);
  });
});

describe('dnf (Rocky)', () => {
  test('rocky-9: installroot, release, only the recipe’s repositories, their GPG key, the packages', () => {
    const recipe = of('rocky-9', 'dnf');
    const command = dnfCommand(recipe, context(recipe));
    expect(command.tool).toBe('dnf');
    expect(command.args).toEqual([
      '--installroot=/var/cache/vl/work/rootfs',
      '--releasever=9',
      '--forcearch=x86_64',
      '--setopt=reposdir=/nonexistent',
      '--setopt=cachedir=/var/cache/vl/apt',
      '--setopt=keepcache=True',
      '--setopt=install_weak_deps=False',
      '--setopt=tsflags=nodocs',
      '--repofrompath=baseos,https://dl.rockylinux.org/pub/rocky/9/BaseOS/x86_64/os/',
      '--setopt=baseos.gpgcheck=1',
      '--setopt=baseos.gpgkey=https://dl.rockylinux.org/pub/rocky/RPM-GPG-KEY-Rocky-9',
      '--repofrompath=appstream,https://dl.rockylinux.org/pub/rocky/9/AppStream/x86_64/os/',
      '--setopt=appstream.gpgcheck=1',
      '--setopt=appstream.gpgkey=https://dl.rockylinux.org/pub/rocky/RPM-GPG-KEY-Rocky-9',
      '--assumeyes',
      'install',
      ...recipe.packages,
    ]);
    expect(recipe.packages).toEqual(
      expect.arrayContaining(['kernel', 'openssh-server', 'cloud-init', 'rocky-release']),
    );
  });

  test('--mirror moves every repository', () => {
    const recipe = of('rocky-9', 'dnf');
    const args = dnfCommand(recipe, context(recipe, 'http://10.0.0.5/rocky')).args;
    expect(args.filter((arg) => arg.startsWith('--repofrompath'))).toEqual([
      '--repofrompath=baseos,http://10.0.0.5/rocky/9/BaseOS/x86_64/os/',
      '--repofrompath=appstream,http://10.0.0.5/rocky/9/AppStream/x86_64/os/',
    ]);
  });
});

test('import: the verified tarball is unpacked keeping owners, modes and extended attributes', () => {
  expect(importCommand('/cache/downloads/abc', '/work/rootfs')).toEqual({
    tool: 'tar',
    args: [
      '--extract',
      '--file=/cache/downloads/abc',
      '--directory=/work/rootfs',
      '--numeric-owner',
      '--same-owner',
      '--same-permissions',
      '--xattrs',
      '--xattrs-include=*',
    ],
  });
  expect(
    effectiveMirror(loadRecipe(defaultRecipesDir, 'alpine-3.20'), { ...options, mirror: 'http://x' }),
  ).toBeUndefined();
});

describe('the archive', () => {
  test('is made with every option that makes it the same bytes for the same files', () => {
    const { tool, args } = archiveCommand('/w/rootfs', '/w/rootfs.tar.zst.partial', 1764000000);
    expect(tool).toBe('tar');
    expect(args).toEqual(
      expect.arrayContaining([
        '--sort=name',
        '--format=pax',
        '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
        '--mtime=@1764000000',
        '--clamp-mtime',
        '--numeric-owner',
        '--xattrs',
        '--directory=/w/rootfs',
        '--file=/w/rootfs.tar.zst.partial',
      ]),
    );
  });

  test('tar’s checkpoint lines are its progress in bytes', () => {
    expect(archiveProgress('tar: written 2037760 (2.0MiB, 76MiB/s)', 10_000_000)).toEqual({
      stage: 'archive',
      done: 2037760,
      total: 10_000_000,
      unit: 'bytes',
    });
    expect(archiveProgress('tar: ./run/x: socket ignored')).toBeUndefined();
  });
});

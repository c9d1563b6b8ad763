/** Reading what a built root filesystem is: os-release, package databases, symlinks inside the image. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import {
  parseApkInstalled,
  parseOsRelease,
  parsePackageList,
  readOsRelease,
  resolveInRoot,
} from '../../../images/manifest.ts';

const root = mkdtempSync(join(tmpdir(), 'vl-manifest-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('os-release: quoted and bare values, comments and blank lines ignored', () => {
  expect(
    parseOsRelease(
      '# comment\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID=\'12\'\n\nNAME="a \\"q\\""\n',
    ),
  ).toEqual({ PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)', ID: 'debian', VERSION_ID: '12', NAME: 'a "q"' });
});

test('an absolute symlink in the image is followed inside the image, never to the host', () => {
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'usr/lib'), { recursive: true });
  writeFileSync(join(root, 'usr/lib/os-release'), 'ID=testos\nVERSION_ID=1\n');
  symlinkSync('/usr/lib/os-release', join(root, 'etc/os-release'));
  expect(resolveInRoot(root, '/etc/os-release')).toBe(join(root, 'usr/lib/os-release'));
  expect(readOsRelease(root)).toEqual({ ID: 'testos', VERSION_ID: '1' });
});

test('a relative symlink too, and a loop is an error, not a hang', () => {
  symlinkSync('../usr/lib/os-release', join(root, 'etc/relative'));
  expect(resolveInRoot(root, '/etc/relative')).toBe(join(root, 'usr/lib/os-release'));
  symlinkSync('/etc/loop', join(root, 'etc/loop'));
  expect(() => resolveInRoot(root, '/etc/loop')).toThrow(/too many symlinks/);
});

test('an image without os-release has none', () => {
  const empty = mkdtempSync(join(tmpdir(), 'vl-manifest-empty-'));
  expect(readOsRelease(empty)).toEqual({});
  rmSync(empty, { recursive: true });
});

test('dpkg-query and rpm lines become sorted entries', () => {
  expect(parsePackageList('zlib1g\t1:1.2.13\tamd64\nbash\t5.2.15-2+b2\tamd64\n\n')).toEqual([
    { name: 'bash', version: '5.2.15-2+b2', arch: 'amd64' },
    { name: 'zlib1g', version: '1:1.2.13', arch: 'amd64' },
  ]);
});

test('Alpine’s apk database', () => {
  const db = 'C:Q1abc\nP:musl\nV:1.2.5-r0\nA:x86_64\nS:1\n\nC:Q1def\nP:busybox\nV:1.36.1-r29\nA:x86_64\n\n';
  expect(parseApkInstalled(db)).toEqual([
    { name: 'busybox', version: '1.36.1-r29', arch: 'x86_64' },
    { name: 'musl', version: '1.2.5-r0', arch: 'x86_64' },
  ]);
});

/** The cache key: an image is rebuilt when its recipe, overlays or mirror change, and only then. */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, expect, test } from 'vitest';
import { type ImageOptions, imageStatus, sourceDateEpochFrom } from '../../../images/build.ts';
import { defaultOverlaysDir, defaultRecipesDir } from '../../../images/paths.ts';

const top = mkdtempSync(join(tmpdir(), 'vl-key-'));
afterAll(() => rmSync(top, { recursive: true, force: true }));

let options: ImageOptions;
beforeEach(() => {
  const dir = mkdtempSync(join(top, 'case-'));
  cpSync(defaultRecipesDir, join(dir, 'recipes'), { recursive: true });
  cpSync(defaultOverlaysDir, join(dir, 'overlays'), { recursive: true });
  options = {
    recipesDir: join(dir, 'recipes'),
    overlaysDir: join(dir, 'overlays'),
    cacheDir: join(dir, 'cache'),
  };
});

const key = (name = 'debian-12', more: Partial<ImageOptions> = {}) =>
  imageStatus(name, { ...options, ...more }).key;

test('the same inputs give the same key, in any directory', () => {
  expect(key()).toMatch(/^[0-9a-f]{16}$/);
  expect(key()).toBe(imageStatus('debian-12', { ...options, cacheDir: '/elsewhere' }).key);
  expect(key('debian-12')).not.toBe(key('node'));
});

test('a comment in the recipe changes nothing; a package does', () => {
  const file = join(options.recipesDir, 'debian-12.yaml');
  const before = key();
  writeFileSync(file, `# a comment\n${readFileSync(file, 'utf8')}`);
  expect(key()).toBe(before);
  writeFileSync(file, readFileSync(file, 'utf8').replace('  - less\n', '  - less\n  - vim-tiny\n'));
  expect(key()).not.toBe(before);
});

test('an overlay file’s content, its mode, a new file: each changes the key of the images using it', () => {
  const file = join(options.overlaysDir, 'vc/etc/cloud/cloud.cfg.d/90-virtualinux.cfg');
  const keys = [key()];
  writeFileSync(file, `${readFileSync(file, 'utf8')}# changed\n`);
  keys.push(key());
  chmodSync(file, 0o600);
  keys.push(key());
  mkdirSync(join(options.overlaysDir, 'vc/etc/motd.d'), { recursive: true });
  keys.push(key());
  expect(new Set(keys).size).toBe(4);
  const node = key('node');
  writeFileSync(join(options.overlaysDir, 'vc/etc/extra'), 'x');
  expect(key('node')).toBe(node);
});

test('another mirror is another image; SOURCE_DATE_EPOCH is recorded in the manifest, not in the key', () => {
  expect(key('debian-12', { mirror: 'http://mirror.example.org/debian' })).not.toBe(key());
  expect(key('debian-12', { sourceDateEpoch: 1 })).toBe(key());
});

test('a missing overlay is named', () => {
  rmSync(join(options.overlaysDir, 'vc'), { recursive: true });
  expect(() => key()).toThrow(/overlay "vc" not found/);
});

test('SOURCE_DATE_EPOCH must be seconds', () => {
  expect(sourceDateEpochFrom({})).toBeUndefined();
  expect(sourceDateEpochFrom({ SOURCE_DATE_EPOCH: '1764000000' })).toBe(1764000000);
  expect(() => sourceDateEpochFrom({ SOURCE_DATE_EPOCH: '2026-11-26' })).toThrow(/is not a time/);
});

test('nothing is cached in an empty cache', () => {
  expect(imageStatus('debian-12', options).cached).toBe(false);
});

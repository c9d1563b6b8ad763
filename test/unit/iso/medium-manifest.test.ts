/** The image manifests the DVD carries: the image's facts only, so that two builds give one DVD. */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { Manifest } from '../../../images/manifest.ts';
import { mediumManifest } from '../../../iso/dvd.ts';
import { exampleImages } from '../installer/engine/fixtures/recorded.ts';

const dir = mkdtempSync(join(tmpdir(), 'vl-medium-manifest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('without the build time and duration; the same text for two builds; read back by the installer', () => {
  const { node } = exampleImages();
  const first = mediumManifest({ ...node, builtAt: '2026-11-27T03:43:01.451Z', buildSeconds: 282.4 }, dir);
  const text = readFileSync(first, 'utf8');
  expect(text).not.toContain('builtAt');
  expect(text).not.toContain('buildSeconds');
  const written = statSync(first).mtimeMs;
  const second = mediumManifest({ ...node, builtAt: '2026-11-28T10:00:00.000Z', buildSeconds: 301 }, dir);
  expect(second).toBe(first);
  expect(readFileSync(second, 'utf8')).toBe(text);
  // unchanged text: not written again
  expect(statSync(second).mtimeMs).toBe(written);
  const parsed = Manifest.parse(JSON.parse(text));
  expect(parsed.archive.sha256).toBe(node.archive.sha256);
  expect(parsed.builtAt).toBeUndefined();
});

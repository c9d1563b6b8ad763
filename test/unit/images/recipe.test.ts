/** Recipes: the shipped ones are valid; bad ones get located problems, like cluster.yaml. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { formatProblem } from '../../../core/yaml/problems.ts';
import { checkRecipeFile, loadRecipe, RecipeError, recipeFile, recipeNames } from '../../../images/load.ts';
import { defaultRecipesDir } from '../../../images/paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'vl-recipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** the lines `image check` prints for a recipe file with this text */
function problems(name: string, text: string): string[] {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  const result = checkRecipeFile(file);
  return result.ok ? [] : result.problems.map((p) => formatProblem(`${name}.yaml`, p));
}

const debian = `name: guest
description: a guest
distribution: debian
release: bookworm
builder: mmdebstrap
mirror: http://deb.debian.org/debian
keyring: /usr/share/keyrings/debian-archive-keyring.gpg
keyringPackage: debian-archive-keyring
packages: [systemd-sysv, openssh-server]
`;

test('the shipped recipes are node, the DVD live system, the three VC guests and an import example, all valid', () => {
  const names = recipeNames(defaultRecipesDir);
  expect(names).toEqual(['alpine-3.20', 'debian-12', 'live', 'node', 'rocky-9', 'ubuntu-24.04']);
  for (const name of names) {
    const result = checkRecipeFile(recipeFile(defaultRecipesDir, name));
    expect(result.ok ? [] : result.problems, name).toEqual([]);
  }
});

test('defaults complete a small recipe', () => {
  expect(problems('guest', debian)).toEqual([]);
  const recipe = loadRecipe(dir, 'guest');
  expect(recipe).toMatchObject({ components: ['main'], variant: 'apt', overlays: [], initramfs: false });
});

describe('bad recipes get located problems', () => {
  test('an unknown key, with a did-you-mean', () => {
    expect(problems('guest', debian.replace('packages:', 'pakages:'))).toEqual([
      'guest.yaml:1:1: packages: missing (expected a list)',
      'guest.yaml:9:1: pakages: unknown key "pakages" (did you mean "packages"?)',
    ]);
  });

  test('a missing package list, and an empty one', () => {
    expect(problems('guest', debian.replace(/packages:.*\n/, ''))).toEqual([
      'guest.yaml:1:1: packages: missing (expected a list)',
    ]);
    expect(problems('guest', debian.replace(/packages:.*\n/, 'packages: []\n'))).toEqual([
      'guest.yaml:9:11: packages: expected at least one package',
    ]);
  });

  test('a bad checksum of an imported tarball', () => {
    const text = `name: guest
description: imported
distribution: alpine
release: '3.20'
builder: import
source: https://example.org/rootfs.tar.gz
sha256: D4E6FD67
`;
    expect(problems('guest', text)).toEqual([
      'guest.yaml:7:9: sha256: expected 64 lower-case hex digits (sha256sum prints them)',
    ]);
  });

  test('a missing or unknown builder', () => {
    expect(problems('guest', debian.replace('builder: mmdebstrap', 'builder: debootstrap'))).toEqual([
      'guest.yaml:5:10: builder: missing or unknown builder (expected builder: mmdebstrap, dnf or import)',
    ]);
  });

  test('a package listed twice, a bad package name, a release given as a number', () => {
    expect(
      problems(
        'guest',
        debian.replace('[systemd-sysv, openssh-server]', '[systemd-sysv, "open ssh", systemd-sysv]'),
      ),
    ).toEqual(['guest.yaml:9:26: packages[1]: expected a package name like openssh-server']);
    expect(
      problems('guest', debian.replace('[systemd-sysv, openssh-server]', '[systemd-sysv, systemd-sysv]')),
    ).toEqual(['guest.yaml:9:26: packages[1]: package systemd-sysv is listed twice']);
    expect(problems('guest', debian.replace('release: bookworm', 'release: 12'))).toEqual([
      'guest.yaml:4:10: release: expected a release, found number 12',
    ]);
  });

  test('a recipe named otherwise than its file', () => {
    expect(problems('other', debian)).toEqual([
      'other.yaml:1:7: name: the recipe in other.yaml is named "guest" (expected "other": a recipe is named after its file)',
    ]);
  });

  test('loading one by name: unknown names list the known ones; problems become one error', () => {
    expect(() => loadRecipe(defaultRecipesDir, 'debian12')).toThrow(/no image recipe named "debian12"/);
    writeFileSync(
      join(dir, 'broken.yaml'),
      debian.replace('name: guest', 'name: broken').replace('builder', 'buidler'),
    );
    expect(() => loadRecipe(dir, 'broken')).toThrow(RecipeError);
  });
});

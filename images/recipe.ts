/**
 * Image recipes: declarative YAML files in images/recipes/, one per image, checked like cluster.yaml
 * (located problems, did-you-mean). The builder field selects how the root filesystem is made.
 */
import { z } from 'zod';
import { ImageName, Size, text } from '../core/spec/primitives.ts';
import type { RuleProblem } from '../core/yaml/problems.ts';

const PackageName = text('a package name').regex(/^[a-zA-Z0-9@][a-zA-Z0-9+.:_@-]*$/, {
  error: 'expected a package name like openssh-server',
});

const Url = text('a URL').regex(/^(https?|file):\/\/\S+$/, {
  error: 'expected an http://, https:// or file:// URL',
});

const common = {
  name: ImageName.describe('image name: the golden volume is img_<name>'),
  description: text('a one-line description').describe('what the image is for'),
  distribution: text('a distribution name')
    .regex(/^[a-z][a-z0-9-]*$/, { error: 'expected a lower-case distribution name like debian' })
    .describe('distribution, as in os-release ID: debian, ubuntu, rocky'),
  release: text('a release').min(1).describe('release name or number: bookworm, noble, 9'),
  overlays: z
    .array(
      text('an overlay name').regex(/^[a-z0-9-]+$/, {
        error: 'expected an overlay directory name like node',
      }),
    )
    .default([])
    .describe('directories of overlays/ copied over the root filesystem, in order'),
  sizeHint: Size.optional().describe('expected unpacked size; the golden volume default'),
  initramfs: z
    .boolean()
    .default(false)
    .describe('regenerate the initramfs once the overlays are in (when they add initramfs hooks)'),
};

export const MmdebstrapRecipe = z.strictObject({
  ...common,
  builder: z.literal('mmdebstrap'),
  mirror: Url.describe('the archive; `--mirror` overrides it'),
  components: z.array(text('a component').min(1)).min(1).default(['main']).describe('archive components'),
  keyring: text('a keyring path')
    .regex(/^\/\S+$/, { error: 'expected an absolute path to an OpenPGP keyring' })
    .describe('keyring that signs the archive'),
  keyringPackage: PackageName.describe('the Debian package that installs the keyring'),
  variant: z.enum(['essential', 'minbase', 'apt', 'required', 'important', 'standard']).default('apt'),
  packages: z
    .array(PackageName)
    .min(1, { error: 'expected at least one package' })
    .describe('packages to install'),
});

export const DnfRecipe = z.strictObject({
  ...common,
  builder: z.literal('dnf'),
  mirror: Url.describe('base URL holding <release>/BaseOS and <release>/AppStream; `--mirror` overrides it'),
  repos: z.array(text('a repository name').min(1)).min(1).default(['BaseOS', 'AppStream']),
  gpgKey: Url.describe('OpenPGP key of the repositories (relative to nothing: a full URL)'),
  packages: z.array(PackageName).min(1, { error: 'expected at least one package' }),
});

const Sha256 = text('a sha256').regex(/^[0-9a-f]{64}$/, {
  error: 'expected 64 lower-case hex digits (sha256sum prints them)',
});

export const ImportRecipe = z.strictObject({
  ...common,
  builder: z.literal('import'),
  source: text('a URL or path')
    .regex(/^(https?:\/\/\S+|\/\S+|\.{0,2}\/?[\w.-][\w./-]*)$/, {
      error: 'expected an http(s) URL or a file path',
    })
    .describe(
      'a published rootfs tarball (.tar, .tar.gz, .tar.xz, .tar.zst): URL or path relative to the recipe',
    ),
  sha256: Sha256.describe('sha256 of the tarball as published'),
});

export const Recipe = z.discriminatedUnion('builder', [MmdebstrapRecipe, DnfRecipe, ImportRecipe], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? 'missing or unknown builder (expected builder: mmdebstrap, dnf or import)'
      : undefined,
});

export type Recipe = z.infer<typeof Recipe>;
export type MmdebstrapRecipe = z.infer<typeof MmdebstrapRecipe>;
export type DnfRecipe = z.infer<typeof DnfRecipe>;
export type ImportRecipe = z.infer<typeof ImportRecipe>;

export function recipeRules(recipe: Recipe): RuleProblem[] {
  const problems: RuleProblem[] = [];
  if ('packages' in recipe) {
    recipe.packages.forEach((name, i) => {
      if (recipe.packages.indexOf(name) !== i) {
        problems.push({ path: ['packages', i], message: `package ${name} is listed twice` });
      }
    });
  }
  recipe.overlays.forEach((name, i) => {
    if (recipe.overlays.indexOf(name) !== i)
      problems.push({ path: ['overlays', i], message: `overlay ${name} is listed twice` });
  });
  return problems;
}

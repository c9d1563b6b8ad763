/**
 * The DVD profile: which images the DVD carries. The embedded default (iso/profile.yaml) is what
 * `npm run dvd` builds; optional images go on the DVD when they can be built on this machine
 * (their archive reachable, their keyring present), and the build says which were left out and why.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { UserError } from '../core/errors.ts';
import { ImageName, text } from '../core/spec/primitives.ts';
import { checkYamlFile, type DocumentKind } from '../core/yaml/document.ts';
import { formatProblem } from '../core/yaml/problems.ts';

export const DvdProfile = z.strictObject({
  name: text('a profile name').describe('what this DVD is'),
  live: ImageName.default('live').describe('image recipe of the live system the DVD boots'),
  node: ImageName.default('node').describe(
    'image recipe of the blades’ OS; its kernel and initramfs boot the blades',
  ),
  images: z.array(ImageName).min(1).describe('images the DVD must carry (the build fails without them)'),
  optionalImages: z.array(ImageName).default([]).describe('images carried when they can be built here'),
});
export type DvdProfile = z.infer<typeof DvdProfile>;

export const defaultProfileFile = fileURLToPath(new URL('profile.yaml', import.meta.url));

const profileDocument: DocumentKind<typeof DvdProfile> = {
  schema: DvdProfile,
  what: 'a DVD profile',
  file: 'a DVD profile (iso/profile.yaml)',
  topLevel: 'fields (name, images, optionalImages, …)',
};

export function loadProfile(file = defaultProfileFile): DvdProfile {
  const result = checkYamlFile(profileDocument, file);
  if (!result.ok) {
    throw new UserError(result.problems.map((p) => formatProblem(file, p)).join('\n'), 'fix the profile');
  }
  return result.value;
}

/**
 * The boot loaders as a DVD stage: the menu (both loaders' configs), the loader files it is made of
 * (by content), the versions of the tools that assemble it, and SOURCE_DATE_EPOCH are its inputs.
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Runner } from '../core/exec/runner.ts';
import {
  BOOTLOADER_PACKAGES,
  bootloaderHostFiles,
  checkBootloaderSources,
  planBootloaders,
} from './bootloaders.ts';
import { bootMenu, checkMenu, renderGrubCfg, renderIsolinuxCfg } from './menu.ts';
import type { Stage } from './stage.ts';

export async function bootloaderStage({
  version,
  epoch,
  observer,
}: {
  version: string;
  epoch: number;
  observer: Runner;
}): Promise<Stage> {
  const menu = bootMenu({ version });
  checkMenu(menu);
  checkBootloaderSources();
  const hostFiles = bootloaderHostFiles().map(({ path }) => [
    path,
    createHash('sha256').update(readFileSync(path)).digest('hex'),
  ]);
  const { stdout: versions } = await observer.run({
    tool: 'dpkg-query',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} syntax
    args: ['--show', '--showformat=${Package} ${Version}\n', ...BOOTLOADER_PACKAGES, 'xorriso'],
  });
  return {
    name: 'bootloaders',
    inputs: { isolinux: renderIsolinuxCfg(menu), grub: renderGrubCfg(menu), hostFiles, versions, epoch },
    actions: (work) => planBootloaders({ work, menu, sourceDateEpoch: epoch }),
  };
}

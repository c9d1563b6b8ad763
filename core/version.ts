/**
 * The product's version: package.json's, the one source of it. A bundle (installer/bundle.ts)
 * has no package.json beside it: esbuild's `define` replaces VIRTUALINUX_VERSION with the version
 * at bundle time.
 */
import { readFileSync } from 'node:fs';

declare const VIRTUALINUX_VERSION: string | undefined;

export const version = (): string =>
  typeof VIRTUALINUX_VERSION === 'string'
    ? VIRTUALINUX_VERSION
    : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
        .version;

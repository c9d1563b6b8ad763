/**
 * A published root filesystem tarball, as it is: fetched (or read from a path), its sha256
 * checked against the recipe before anything is unpacked, then extracted with owners, modes and
 * extended attributes kept. GNU tar recognises the compression (gzip, xz, zstd) by itself.
 */
import type { Command } from '../../core/exec/command.ts';
import { extractCommand } from '../archive.ts';

export const importCommand = (tarball: string, rootfs: string): Command =>
  extractCommand(tarball, rootfs, { compression: 'auto' });

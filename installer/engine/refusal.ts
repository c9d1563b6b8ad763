/**
 * Why the installer will not touch a LUN: decided from the observation before any action exists,
 * so a refused install has written nothing.
 */
import { UserError } from '../../core/errors.ts';

export type RefusalReason =
  /** the LUN holds data that is not this cluster's, and --wipe was not given */
  | 'foreign'
  /** the LUN holds another VirtuaLinux cluster, and --wipe was not given */
  | 'other-cluster'
  /** --wipe named another cluster than the spec's */
  | 'wipe-mismatch'
  /** the LUN, or the free space left in this cluster's VG, is smaller than the layout */
  | 'too-small'
  /** the spec names an image the DVD does not carry */
  | 'image-missing'
  /** a golden volume is smaller than its image unpacked, plus room for the filesystem */
  | 'image-too-large'
  /** this cluster's VG is shared, but lvmlockd and sanlock do not run here */
  | 'shared-vg-unavailable';

export class InstallRefusal extends UserError {
  constructor(
    readonly reason: RefusalReason,
    message: string,
    hint?: string,
    /** what is on the LUN, one item a line, for a foreign LUN or another cluster's */
    readonly contents: string[] = [],
  ) {
    super(message, hint);
  }
}

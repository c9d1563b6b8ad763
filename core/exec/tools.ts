/**
 * Which Debian 12 package provides each tool the product runs, so that a missing tool is reported
 * with the command that installs it instead of a spawn error.
 */
import { UserError } from '../errors.ts';

// The grub-mk* programs are in grub-common, but without a platform's modules (x86_64-efi from
// grub-efi-amd64-bin, i386-pc from grub-pc-bin; both depend on grub-common) they can build nothing.
const grubImages = 'grub-efi-amd64-bin grub-pc-bin';

const packages: Record<string, string> = {
  mmdebstrap: 'mmdebstrap',
  mksquashfs: 'squashfs-tools',
  unsquashfs: 'squashfs-tools',
  xorriso: 'xorriso',
  'grub-mkstandalone': grubImages,
  'grub-mkimage': grubImages,
  'grub-mkrescue': grubImages,
  'mkfs.vfat': 'dosfstools',
  'mkfs.fat': 'dosfstools',
  mcopy: 'mtools',
  mmd: 'mtools',
  mdir: 'mtools',
  iscsiadm: 'open-iscsi',
  iscsistart: 'open-iscsi',
  iscsid: 'open-iscsi',
  tgtd: 'tgt',
  tgtadm: 'tgt',
  'iscsi-ls': 'libiscsi-bin',
  'iscsi-inq': 'libiscsi-bin',
  lvm: 'lvm2',
  pvcreate: 'lvm2',
  vgcreate: 'lvm2',
  lvcreate: 'lvm2',
  pvs: 'lvm2',
  vgs: 'lvm2',
  lvs: 'lvm2',
  vgchange: 'lvm2',
  lvchange: 'lvm2',
  lvremove: 'lvm2',
  lvrename: 'lvm2',
  lvextend: 'lvm2',
  lvmlockd: 'lvm2-lockd',
  lvmlockctl: 'lvm2-lockd',
  sanlock: 'sanlock',
  sfdisk: 'fdisk',
  sgdisk: 'gdisk',
  parted: 'parted',
  'mkfs.ext4': 'e2fsprogs',
  e2fsck: 'e2fsprogs',
  tune2fs: 'e2fsprogs',
  e2mmpstatus: 'e2fsprogs',
  getfattr: 'attr',
  tmux: 'tmux',
  sync: 'coreutils',
  losetup: 'mount',
  mount: 'mount',
  umount: 'mount',
  lsblk: 'util-linux',
  blkid: 'util-linux',
  dmsetup: 'dmsetup',
  wipefs: 'util-linux',
  dmesg: 'util-linux',
  'qemu-system-x86_64': 'qemu-system-x86',
  'qemu-img': 'qemu-utils',
  dnsmasq: 'dnsmasq-base',
  chronyd: 'chrony',
  chronyc: 'chrony',
  keepalived: 'keepalived',
  virsh: 'libvirt-clients',
  ip: 'iproute2',
  bridge: 'iproute2',
  zstd: 'zstd',
  cpio: 'cpio',
  xz: 'xz-utils',
  dnf: 'dnf',
  rpm: 'rpm',
  git: 'git',
  'apt-get': 'apt',
  'dpkg-query': 'dpkg',
  tar: 'tar',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
  scp: 'openssh-client',
};

/** The package(s) to `apt-get install` for a tool, by name or path; undefined when unknown. */
export function debianPackageFor(tool: string): string | undefined {
  const name = tool.slice(tool.lastIndexOf('/') + 1);
  return Object.hasOwn(packages, name) ? packages[name] : undefined;
}

export class ToolNotFound extends UserError {
  constructor(
    readonly tool: string,
    searchPath: string,
  ) {
    const pkg = debianPackageFor(tool);
    super(
      pkg ? `${tool} not found: apt-get install ${pkg}` : `${tool} not found`,
      tool.includes('/')
        ? 'no executable file at that path'
        : `looked in PATH=${searchPath}${pkg ? '' : '; install the package that provides it, or fix PATH'}`,
    );
  }
}

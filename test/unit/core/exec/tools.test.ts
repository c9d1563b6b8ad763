import { expect, test } from 'vitest';
import { UserError } from '../../../../core/errors.ts';
import { debianPackageFor, ToolNotFound } from '../../../../core/exec/tools.ts';

test.each([
  ['mmdebstrap', 'mmdebstrap'],
  ['mksquashfs', 'squashfs-tools'],
  ['unsquashfs', 'squashfs-tools'],
  ['xorriso', 'xorriso'],
  ['mkfs.vfat', 'dosfstools'],
  ['mcopy', 'mtools'],
  ['iscsistart', 'open-iscsi'],
  ['tgtadm', 'tgt'],
  ['iscsi-inq', 'libiscsi-bin'],
  ['lvcreate', 'lvm2'],
  ['lvmlockd', 'lvm2-lockd'],
  ['sfdisk', 'fdisk'],
  ['sgdisk', 'gdisk'],
  ['mkfs.ext4', 'e2fsprogs'],
  ['losetup', 'mount'],
  ['qemu-system-x86_64', 'qemu-system-x86'],
  ['qemu-img', 'qemu-utils'],
  ['dnsmasq', 'dnsmasq-base'],
  ['chronyd', 'chrony'],
  ['virsh', 'libvirt-clients'],
  ['ip', 'iproute2'],
  ['xz', 'xz-utils'],
  ['ssh', 'openssh-client'],
])('%s is installed by apt-get install %s', (tool, pkg) => {
  expect(debianPackageFor(tool)).toBe(pkg);
});

test('grub image tools need the platform modules of both boot paths, which pull grub-common', () => {
  expect(debianPackageFor('grub-mkstandalone')).toBe('grub-efi-amd64-bin grub-pc-bin');
  expect(debianPackageFor('grub-mkimage')).toBe('grub-efi-amd64-bin grub-pc-bin');
});

test('a tool given by path is looked up by its name', () => {
  expect(debianPackageFor('/usr/sbin/vgcreate')).toBe('lvm2');
});

test('unknown tools, including names of object properties, have no package', () => {
  expect(debianPackageFor('definitely-not-a-tool')).toBeUndefined();
  expect(debianPackageFor('constructor')).toBeUndefined();
  expect(debianPackageFor('toString')).toBeUndefined();
});

test('a missing tool is a UserError that says how to install it', () => {
  const error = new ToolNotFound('xorriso', '/usr/bin:/bin');
  expect(error).toBeInstanceOf(UserError);
  expect(error.message).toBe('xorriso not found: apt-get install xorriso');
  expect(error.hint).toBe('looked in PATH=/usr/bin:/bin');
  expect(new ToolNotFound('frobnicate', '/usr/bin').hint).toMatch(
    /install the package that provides it, or fix PATH/,
  );
});

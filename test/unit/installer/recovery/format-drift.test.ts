import { expect, test } from 'vitest';
import type { DriftEntry } from '../../../../installer/recovery/drift.ts';
import { formatDrift } from '../../../../installer/recovery/recovery.ts';

const added = (path: string): DriftEntry => ({ path, change: 'added', kind: 'file', bytes: 10 });
const entries: DriftEntry[] = [
  added('/etc/a'),
  { path: '/etc/fstab', change: 'changed', kind: 'file', bytes: 5 },
  added('/etc/libvirt/x'),
  { path: '/etc/ssh', change: 'deleted', kind: 'directory', bytes: 0 },
  added('/var/tmp/fill'),
];

test('a listing that fits is in path order, with the summary first', () => {
  expect(formatDrift('node02', entries, 5)).toEqual([
    'node02: 3 added (30 B), 1 changed (5 B), 1 deleted',
    '  added    file      /etc/a',
    '  changed  file      /etc/fstab',
    '  added    file      /etc/libvirt/x',
    '  deleted  directory /etc/ssh',
    '  added    file      /var/tmp/fill',
  ]);
});

test('a shortened listing shows the deletions, then the changes, then the additions, and how many more', () => {
  expect(formatDrift('node02', entries, 3)).toEqual([
    'node02: 3 added (30 B), 1 changed (5 B), 1 deleted',
    '  deleted  directory /etc/ssh',
    '  changed  file      /etc/fstab',
    '  added    file      /etc/a',
    '  ... and 2 more (virtualinux drift node02 lists all)',
  ]);
});

test('a blade in factory state says so', () => {
  expect(formatDrift('node01', [])).toEqual(['node01: nothing: it is in factory state']);
});

/** images/scrub.sh on a made-up root filesystem: what belongs to one build or one machine goes. */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, test } from 'vitest';

const scrub = new URL('../../../images/scrub.sh', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'vl-scrub-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function put(path: string, content = 'x\n'): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

test('scrub.sh: host keys, machine id, initiator name, host resolv.conf, build logs; apt dirs as Debian has them', async () => {
  put('etc/passwd', 'root:x:0:0:root:/root:/bin/bash\n_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\n');
  put('etc/ssh/ssh_host_ed25519_key');
  put('etc/ssh/ssh_host_ed25519_key.pub');
  put('etc/ssh/sshd_config', 'kept\n');
  put('etc/machine-id', '0123456789abcdef0123456789abcdef\n');
  put('etc/iscsi/initiatorname.iscsi', 'InitiatorName=iqn.1993-08.org.debian:01:5ab1e\n');
  put('etc/resolv.conf', 'nameserver 192.0.2.1\n');
  put('etc/hostname', 'buildhost\n');
  put('var/log/dpkg.log');
  put('var/cache/apt/archives/foo_1.0_amd64.deb');
  put('tmp/leftover');
  // what a build that downloaded nothing leaves: root's, not _apt's, with the package's old time
  for (const dir of ['var/cache/apt/archives/partial', 'var/lib/apt/lists/partial']) {
    mkdirSync(join(root, dir), { recursive: true, mode: 0o755 });
    put(`${dir}/half-downloaded.deb`);
    utimesSync(join(root, dir), new Date('2023-05-25T14:11:00Z'), new Date('2023-05-25T14:11:00Z'));
  }
  const scrubbedAfter = Date.now() - 1000;

  const run = await execa('sh', [scrub, root], { reject: false });
  expect(run.exitCode, run.stderr).toBe(0);

  expect(existsSync(join(root, 'etc/ssh/ssh_host_ed25519_key'))).toBe(false);
  expect(existsSync(join(root, 'etc/ssh/ssh_host_ed25519_key.pub'))).toBe(false);
  expect(readFileSync(join(root, 'etc/ssh/sshd_config'), 'utf8')).toBe('kept\n');
  expect(readFileSync(join(root, 'etc/machine-id'), 'utf8')).toBe('');
  expect(readFileSync(join(root, 'etc/iscsi/initiatorname.iscsi'), 'utf8')).toBe('GenerateName=yes\n');
  expect(existsSync(join(root, 'etc/resolv.conf'))).toBe(false);
  expect(readFileSync(join(root, 'etc/hostname'), 'utf8')).toBe('localhost\n');
  expect(existsSync(join(root, 'var/log/dpkg.log'))).toBe(false);
  expect(existsSync(join(root, 'var/cache/apt/archives/foo_1.0_amd64.deb'))).toBe(false);
  expect(existsSync(join(root, 'tmp/leftover'))).toBe(false);
  for (const dir of ['var/cache/apt/archives/partial', 'var/lib/apt/lists/partial']) {
    const stat = statSync(join(root, dir));
    expect([stat.uid, stat.gid, stat.mode & 0o777], dir).toEqual([42, 0, 0o700]);
    expect(readdirSync(join(root, dir)), dir).toEqual([]);
    // made now: the archive clamps the time to SOURCE_DATE_EPOCH, the same on every build
    expect(stat.mtimeMs, dir).toBeGreaterThan(scrubbedAfter);
  }
});

test("scrub.sh keeps a resolv.conf that is the distribution's symlink, and needs no _apt user", async () => {
  const other = mkdtempSync(join(tmpdir(), 'vl-scrub-rpm-'));
  try {
    mkdirSync(join(other, 'etc'));
    symlinkSync('../run/systemd/resolve/stub-resolv.conf', join(other, 'etc/resolv.conf'));
    writeFileSync(join(other, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    const run = await execa('sh', [scrub, other], { reject: false });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(lstatSync(join(other, 'etc/resolv.conf')).isSymbolicLink()).toBe(true);
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
});

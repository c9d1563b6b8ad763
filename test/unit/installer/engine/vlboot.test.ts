/**
 * What VLBOOT tells a blade, and the node initramfs that reads it (overlays/node, boot=vl): the
 * script's parsers run in sh on what the TypeScript renders, so the two cannot drift apart.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { bootParameters, expandBlades } from '../../../../core/spec/derive.ts';
import { EXAMPLE_SPEC_URL } from '../../../../core/spec/example.ts';
import { loadSpec } from '../../../../core/spec/load.ts';
import {
  renderBladeMap,
  renderClusterConfig,
  renderGrubConfig,
  renderHosts,
} from '../../../../installer/engine/vlboot.ts';

const spec = loadSpec(EXAMPLE_SPEC_URL.pathname);
const [node01, node02] = expandBlades(spec);
if (!node01 || !node02) throw new Error('the example has blades');
const SCRIPT = new URL('../../../../overlays/node/etc/initramfs-tools/scripts/vl', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'vl-vlboot-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * The boot script sourced in sh with what initramfs-tools' /init gives it replaced: the kernel's
 * command line, and panic (which there opens the rescue shell) printing its message.
 */
async function initramfs(cmdline: string, body: string) {
  const script = `
cat() { if [ "$1" = /proc/cmdline ]; then echo "$CMDLINE"; else command cat "$@"; fi; }
panic() { echo "PANIC: $*"; }
. "${SCRIPT}"
${body}`;
  return execa('sh', ['-c', script], { env: { CMDLINE: cmdline }, reject: false });
}

describe('VLBOOT for the example cluster', () => {
  test('every GRUB entry boots the VirtuaLinux root script (boot=vl) with the blade parameters of ARCHITECTURE §4', () => {
    const grub = renderGrubConfig(spec);
    const linux = grub.split('\n').filter((line) => line.trim().startsWith('linux '));
    expect(linux).toHaveLength(1 + expandBlades(spec).length);
    for (const line of linux) expect(line).toContain(' boot=vl ');
    expect(grub).toContain(`linux /vmlinuz ${bootParameters(spec, node01).join(' ')} boot=vl`);
  });

  test('the blade map has name, MACs, address, initiator name and parameters; hosts and cluster.conf name every blade', () => {
    const map = renderBladeMap(spec).split('\n');
    expect(map).toContain(
      `node01 52:54:00:42:00:01 52:54:00:10:00:01 10.42.0.11/24 iqn.2026-11.org.virtualinux:lab.node01 ${bootParameters(spec, node01).join(' ')}`,
    );
    const hosts = renderHosts(spec).split('\n');
    expect(hosts).toContain('127.0.0.1\tlocalhost');
    expect(hosts).toContain('10.42.0.12\tnode02.lab.virtualinux.test node02');
    expect(renderClusterConfig(spec).split('\n')).toEqual([
      '# the cluster network of the VirtuaLinux cluster lab: written by the installer from cluster.yaml',
      'cluster lab',
      'domain lab.virtualinux.test',
      'cidr 10.42.0.0/24',
      'gateway 10.42.0.1',
      '',
    ]);
  });
});

describe('the node initramfs reads what VLBOOT says', () => {
  test("a blade's own entry: SAN, interface, volume group, image, its layer and name", async () => {
    const result = await initramfs(
      `BOOT_IMAGE=/vmlinuz ${bootParameters(spec, node01).join(' ')} boot=vl net.ifnames=0`,
      'vl_cmdline && echo "$VL_PORTALS|$VL_PORT|$VL_SIF|$VL_TARGET|$VL_VG|$VL_IMAGE|$VL_LAYER|$VL_NODE|$VL_TRANSPORT|$VL_SIFM"',
    );
    expect(result.stdout).toBe(
      '10.0.2.2|3260|eth0|iqn.2026-11.org.virtualinux:lab.san|vl_lab|img_node|node_node01|node01|tcp|virtio_net',
    );
  });

  test('the entry found by MAC names no blade: the map does, by either of its MACs', async () => {
    const grub = renderGrubConfig(spec);
    const byMac = grub
      .split('\n')
      .find((line) => line.trim().startsWith('linux ') && !line.includes('vl.node='));
    writeFileSync(join(work, 'blades.map'), renderBladeMap(spec));
    const result = await initramfs(
      byMac?.trim().replace(/^linux /, '') ?? '',
      `vl_cmdline && echo "layer=[$VL_LAYER] node=[$VL_NODE]"
vl_from_map " 00:11:22:33:44:55 52:54:00:10:00:02 " "${work}/blades.map"
echo "$VL_NODE $VL_ADDRESS $VL_CLUSTER_MAC $VL_MAP_INITIATOR"
VL_NODE=; vl_from_map " 52:54:00:42:00:03 " "${work}/blades.map"; echo "$VL_NODE"
VL_NODE=; vl_from_map " 52:54:00:99:99:99 " "${work}/blades.map"; echo "[$VL_NODE]"`,
    );
    expect(result.stdout.split('\n')).toEqual([
      'layer=[] node=[]',
      'node02 10.42.0.12/24 52:54:00:42:00:02 iqn.2026-11.org.virtualinux:lab.node02',
      'node03',
      '[]',
    ]);
  });

  test('a command line without the SAN or with a root that is not vl:VG/IMAGE is refused with what to do', async () => {
    const noSan = await initramfs('root=vl:vl_lab/img_node boot=vl', 'vl_cmdline || echo refused');
    expect(noSan.stdout).toContain('virtualinux: no storage_ip= on the kernel command line');
    expect(noSan.stdout).toContain('PANIC: virtualinux: this blade cannot assemble its root: no storage_ip=');
    expect(noSan.stdout.trim().endsWith('refused')).toBe(true);
    const badRoot = await initramfs(
      'storage_ip=10.0.2.2 ivid=iqn.x:t root=vl:img_node',
      'vl_cmdline || echo refused',
    );
    expect(badRoot.stdout).toContain('expected root=vl:VG/img_node[+node_NAME]');
  });

  test('netmasks become prefixes; a portal list takes repeated and comma-separated storage_ip', async () => {
    const result = await initramfs(
      'storage_ip=10.0.0.1,10.0.0.2 storage_ip=10.0.1.1 storage_port=3261 ivid=iqn.x:t root=vl:vg/img_node+node_a',
      'vl_cmdline && echo "$VL_PORTALS $VL_PORT"; vl_prefix 255.255.255.0; vl_prefix 255.255.240.0; vl_prefix 255.0.0.0',
    );
    expect(result.stdout.split('\n')).toEqual(['10.0.0.1,10.0.0.2,10.0.1.1 3261', '24', '20', '8']);
  });

  test("iscsistart's failures become causes: authorization, no target, no answer", async () => {
    const result = await initramfs(
      'storage_ip=10.0.2.2 ivid=iqn.x:t root=vl:vg/img_node',
      `vl_cmdline; VL_INITIATOR=iqn.x:lab.node01; VL_CHAP_FROM="the firmware (iBFT)"
VL_ISCSI_LOG="${work}/iscsistart.log"; : > "$VL_ISCSI_LOG"
vl_login_cause 24 10.0.2.2:3260; vl_login_cause 19 10.0.2.2:3260; vl_login_cause 8 10.0.2.2:3999; vl_login_cause 99 10.0.2.2:3260`,
    );
    expect(result.stdout.split('\n')).toEqual([
      'the SAN refused the login (authorization failure): the CHAP user or secret is wrong (from the firmware (iBFT))',
      'the SAN refused the login: it has no target iqn.x:t for this initiator (iqn.x:lab.node01)',
      'the SAN at 10.0.2.2:3999 does not answer (connection refused or timed out)',
      'the iSCSI login to iqn.x:t at 10.0.2.2:3260 failed (iscsistart exit 99)',
    ]);
  });

  test('several portals: a session on each that answers, the paths joined by dm-multipath; one portal: no multipath', async () => {
    // iscsistart, multipath, dmsetup, modprobe and udev are fakes that record their calls: the real
    // ones need the SAN and device-mapper (the lab's blades boot with one portal)
    const fakes = `
calls="${work}/calls"; : > "$calls"
iscsistart() { echo "iscsistart $*" >> "$calls"; case "$*" in *"-a 10.0.0.2 "*) return 8 ;; esac; return 0; }
multipath() { echo "multipath $*" >> "$calls"; }
dmsetup() { echo "dmsetup $*" >> "$calls"; case "$*" in "ls --target multipath") printf '36001405abc\t(254:0)\n' ;; esac; }
modprobe() { echo "modprobe $*" >> "$calls"; }
wait_for_udev() { :; }
vl_has_session() { return 1; }
vl_credentials() { VL_INITIATOR=iqn.x:lab.node01; }
vl_session_disks() { printf '/dev/sdb\n/dev/sdc\n'; }
VL_SYSFS="${work}/sys"
VL_ISCSI_LOG="${work}/iscsistart.log"`;
    for (const disk of ['sdb', 'sdc']) {
      mkdirSync(join(work, 'sys', 'block', disk, 'device'), { recursive: true });
      writeFileSync(join(work, 'sys', 'block', disk, 'device', 'timeout'), '30\n');
    }
    const several = await initramfs(
      'storage_ip=10.0.0.1,10.0.0.2,10.0.0.3 ivid=iqn.x:t root=vl:vg/img_node',
      `vl_cmdline; ${fakes}
vl_login; echo "status $? sessions $VL_SESSIONS"; cat "$calls"`,
    );
    const lines = several.stdout.split('\n');
    expect(lines).toContain('virtualinux: logged in to iqn.x:t at 10.0.0.1:3260 as iqn.x:lab.node01');
    expect(lines).toContain(
      'virtualinux: the SAN at 10.0.0.2:3260 does not answer (connection refused or timed out)',
    );
    expect(lines).toContain('virtualinux: logged in to iqn.x:t at 10.0.0.3:3260 as iqn.x:lab.node01');
    expect(lines).toContain('virtualinux: multipath over /dev/sdb /dev/sdc as 36001405abc');
    expect(lines).toContain('status 0 sessions 2');
    expect(lines.filter((line) => line.startsWith('iscsistart '))).toHaveLength(3);
    expect(lines).toContain('modprobe -q dm_multipath');
    expect(lines).toContain('multipath -a /dev/sdb');
    expect(lines).toContain('dmsetup ls --target multipath --exec kpartx -a -p -part');
    // with paths to fail over to, a dead one gives its I/O up soon, for dm-multipath to resend
    for (const call of lines.filter((line) => line.startsWith('iscsistart '))) {
      expect(call).toContain(' -P node.session.timeo.replacement_timeout=15');
      expect(call).not.toContain('noop_out');
    }

    const one = await initramfs(
      'storage_ip=10.0.0.1 ivid=iqn.x:t root=vl:vg/img_node',
      `vl_cmdline; ${fakes}
vl_login; echo "status $? sessions $VL_SESSIONS"; cat "$calls"`,
    );
    expect(one.stdout).toContain('status 0 sessions 1');
    expect(one.stdout).not.toMatch(/multipath|dm_multipath/);
    // the root's only path: no pings, I/O waits for the session a day, each disk's SCSI timeout 180 s
    const [call] = one.stdout.split('\n').filter((line) => line.startsWith('iscsistart '));
    expect(call).toContain(
      ' -P node.session.timeo.replacement_timeout=86400 -P node.conn[0].timeo.noop_out_interval=0 -P node.conn[0].timeo.noop_out_timeout=0',
    );
    for (const disk of ['sdb', 'sdc']) {
      expect(readFileSync(join(work, 'sys', 'block', disk, 'device', 'timeout'), 'utf8')).toBe('180\n');
    }
  });

  test("the root's iscsid.conf gets the login's timers: iscsid logs the session in again with them", async () => {
    const conf = (portals: string) => {
      const root = join(work, `root-${portals.split(',').length}`);
      mkdirSync(join(root, 'etc', 'iscsi'), { recursive: true });
      writeFileSync(
        join(root, 'etc', 'iscsi', 'iscsid.conf'),
        [
          '# open-iscsi',
          'node.session.timeo.replacement_timeout = 120',
          'node.conn[0].timeo.noop_out_interval = 5',
          'node.conn[0].timeo.noop_out_timeout = 5',
          'node.conn[0].timeo.login_timeout = 15',
          '',
        ].join('\n'),
      );
      return initramfs(
        `storage_ip=${portals} ivid=iqn.x:t root=vl:vg/img_node`,
        `vl_cmdline; rootmnt="${root}"; vl_root_timers; cat "${root}/etc/iscsi/iscsid.conf"`,
      );
    };
    expect((await conf('10.0.0.1')).stdout.split('\n')).toEqual([
      '# open-iscsi',
      'node.session.timeo.replacement_timeout = 86400',
      'node.conn[0].timeo.noop_out_interval = 0',
      'node.conn[0].timeo.noop_out_timeout = 0',
      'node.conn[0].timeo.login_timeout = 15',
    ]);
    expect((await conf('10.0.0.1,10.0.0.2')).stdout.split('\n')).toEqual([
      '# open-iscsi',
      'node.session.timeo.replacement_timeout = 15',
      'node.conn[0].timeo.noop_out_interval = 5',
      'node.conn[0].timeo.noop_out_timeout = 5',
      'node.conn[0].timeo.login_timeout = 15',
    ]);
  });

  test("a layer held elsewhere: the holder's name from the kernel's report of the refused mount", async () => {
    // recorded from a blade whose layer node01 held (Linux 6.1, ext4 MMP)
    const dmesg = [
      '[   27.382811] EXT4-fs warning (device dm-1): ext4_multi_mount_protect:334: MMP interval 42 higher than expected, please wait.',
      '[   50.100230] EXT4-fs warning (device dm-1): ext4_multi_mount_protect:348: Device is already active on another node.',
      '[   50.100746] EXT4-fs warning (device dm-1): ext4_multi_mount_protect:348: MMP failure info: last update time: 1795776092, last update node: node01, last update device: dm-1',
      '[   50.183398] EXT4-fs (dm-0): unmounting filesystem.',
    ].join('\n');
    writeFileSync(join(work, 'dmesg'), `${dmesg}\n`);
    const result = await initramfs(
      'storage_ip=10.0.2.2 ivid=iqn.x:t root=vl:vg/img_node',
      `vl_holder_from_log < "${work}/dmesg"; echo "[$(echo 'no such line' | vl_holder_from_log)]"`,
    );
    expect(result.stdout.split('\n')).toEqual(['node01', '[]']);
  });
});

/**
 * `virtualinux install --tui --dry-run` as installer/tui/guided.tsx wires it (guide(), the real
 * engine port and planner), on a machine and SAN replayed from recorded outputs: a fake, named so
 * (RecordedSan, test/unit/installer/tui/recorded-san.ts), as this host has no iSCSI initiator.
 * The tmux test runs it on a real terminal. LUN 1 is empty, LUN 2 holds foreign data.
 *
 *   node --import tsx recorded-tui.tsx PLAN_FILE [BLADES_FILE [DHCP_PORT]]
 *
 * PLAN_FILE gets what the dry run prints when Install is pressed; BLADES_FILE is offered for
 * import (--blades); DHCP_PORT is where it hears blades' requests on 127.0.0.1 (--enlist).
 * With VL_SPEC=FILE in the environment the screens start from that spec (--spec), its CHAP
 * secret from VL_SECRET.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { InstallEnginePort } from '../../../installer/tui/engine-port.ts';
import { guide } from '../../../installer/tui/guided.tsx';
import { seededState, type WrittenSpec } from '../../../installer/tui/seed.ts';
import { IMAGES } from '../../unit/installer/tui/fixtures.ts';
import { RecordedSan } from '../../unit/installer/tui/recorded-san.ts';

const [planFile, bladesFile, dhcpPort] = process.argv.slice(2);
if (planFile === undefined) {
  process.stderr.write('usage: recorded-tui.tsx PLAN_FILE [BLADES_FILE [DHCP_PORT]]\n');
  process.exit(2);
}
const san = new RecordedSan({ luns: { 1: 'fresh', 2: 'foreign' } });
const engine = new InstallEnginePort({
  root: san.root,
  workDir: join(san.root, 'run/virtualinux/install'),
  lunsAppearMs: 0,
  makeRunner: san.makeRunner,
});
const printed: string[] = [];
const specFile = process.env.VL_SPEC;
const initial =
  specFile === undefined
    ? undefined
    : seededState(parse(readFileSync(specFile, 'utf8')) as WrittenSpec, IMAGES, process.env.VL_SECRET ?? '');
try {
  const code = await guide({
    port: engine,
    dryRun: true,
    images: IMAGES,
    ...(initial && { initial }),
    stdin: process.stdin,
    stdout: process.stdout,
    out: { write: (text: string) => printed.push(text) },
    // a shell that starts fast and reads no profile: the test types `exit` into it
    shell: { tool: '/bin/sh', args: ['-i'] },
    ...(bladesFile && {
      importText: { label: basename(bladesFile), text: readFileSync(bladesFile, 'utf8') },
    }),
    ...(dhcpPort && {
      enlist: (onMac: (mac: string) => void) =>
        engine.enlist(onMac, { port: Number(dhcpPort), address: '127.0.0.1' }),
    }),
  });
  writeFileSync(planFile, printed.join(''));
  process.exitCode = code;
} finally {
  rmSync(san.root, { recursive: true, force: true });
}

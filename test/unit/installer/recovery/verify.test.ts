/**
 * verify's decisions on the recorded complete LUN, with a fake runner (named so: it records the
 * commands and answers as the tools would) — the comparison itself runs for real in
 * test/integration/installer/verify.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { type Command, type CommandResult, formatCommand } from '../../../../core/exec/command.ts';
import type { Runner } from '../../../../core/exec/runner.ts';
import { parseLunObservation } from '../../../../installer/engine/observation.ts';
import { verifyGoldenVolumes } from '../../../../installer/recovery/verify.ts';
import { exampleImages, exampleSpec, recorded } from '../engine/fixtures/recorded.ts';

const spec = exampleSpec();
const lun = parseLunObservation(recorded('complete'));

/** a fake runner: records every command; `answer` says what a command printed */
function fakeRunner(answer: (command: Command) => Partial<CommandResult> = () => ({})) {
  const ran: string[] = [];
  const runner: Runner = {
    dryRun: false,
    run: async (command) => {
      ran.push(formatCommand({ ...command, stdin: command.stdin !== undefined }));
      return { exitCode: 0, stdout: '', stderr: '', ...answer(command) };
    },
  };
  return { runner, ran };
}

const options = (runner: Runner) => ({
  runner,
  medium: '/run/live/medium',
  workDir: '/run/vl',
  say: () => {},
});

describe('virtualinux verify', () => {
  test('every golden volume built from this DVD is compared file by file, read-only, and deactivated after', async () => {
    const { runner, ran } = fakeRunner();
    const verdicts = await verifyGoldenVolumes(spec, lun, exampleImages(), options(runner));
    expect(verdicts.map((v) => [v.image, v.status])).toEqual([
      ['debian-12', 'intact'],
      ['node', 'intact'],
      ['rocky-9', 'intact'],
      ['ubuntu-24.04', 'intact'],
    ]);
    const node = ran.slice(ran.indexOf('mkdir -p -- /run/vl/verify/node') - 1);
    expect(node.slice(0, 7)).toEqual([
      'sha256sum --check --strict --quiet - < stdin',
      'mkdir -p -- /run/vl/verify/node',
      'umount --quiet /run/vl/verify/node',
      'lvchange -aey vl_lab/img_node',
      'mount -t ext4 -o ro,noload /dev/vl_lab/img_node /run/vl/verify/node',
      'tar --compare --zstd --file=/run/live/medium/images/node.tar.zst --directory=/run/vl/verify/node --numeric-owner',
      'umount --quiet /run/vl/verify/node',
    ]);
    expect(node[7]).toBe('lvchange -an vl_lab/img_node');
  });

  test('a damaged volume lists what differs; an image not on this DVD, another build, a damaged archive are said, not compared', async () => {
    const images = exampleImages();
    const { runner, ran } = fakeRunner((command) => {
      if (command.tool === 'tar' && command.args.some((a) => a.includes('node.tar.zst')))
        return {
          exitCode: 1,
          stdout: './etc/fstab: Contents differ\n',
          stderr: 'tar: ./etc/ssh: Warning: Cannot stat: No such file or directory\n',
        };
      if (command.tool === 'sha256sum' && String(command.stdin).includes('debian-12')) return { exitCode: 1 };
      return {};
    });
    const { 'rocky-9': _, ...withoutRocky } = images;
    const otherUbuntu = {
      ...images['ubuntu-24.04'],
      archive: { ...images['ubuntu-24.04'].archive, sha256: 'ef'.repeat(32) },
    };
    const verdicts = await verifyGoldenVolumes(
      spec,
      lun,
      { ...withoutRocky, 'ubuntu-24.04': otherUbuntu },
      options(runner),
    );
    expect(verdicts).toEqual([
      {
        image: 'debian-12',
        status: 'archive-damaged',
        detail: expect.stringContaining("does not have its manifest's sha256"),
      },
      {
        image: 'node',
        status: 'differs',
        differences: [
          { path: './etc/fstab', problem: 'contents differ' },
          { path: './etc/ssh', problem: 'missing' },
        ],
      },
      { image: 'rocky-9', status: 'not-on-dvd', detail: 'this DVD carries no image rocky-9' },
      {
        image: 'ubuntu-24.04',
        status: 'other-build',
        detail: expect.stringMatching(
          /^img_ubuntu-24\.04 holds build abababababab, this DVD has efefefefefef/,
        ),
      },
    ]);
    expect(ran.filter((c) => c.startsWith('tar '))).toHaveLength(1);
  });

  test('only the images named', async () => {
    const { runner } = fakeRunner();
    const verdicts = await verifyGoldenVolumes(spec, lun, exampleImages(), {
      ...options(runner),
      only: ['node'],
    });
    expect(verdicts.map((v) => v.image)).toEqual(['node']);
  });
});

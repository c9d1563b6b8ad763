/**
 * The import builder with a real tarball: made here with GNU tar, imported from a path and over
 * HTTP, its checksum verified before anything is unpacked.
 */
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultOverlaysDir } from '../../../images/paths.ts';
import { archiveEntries, closedPort, isRoot, labCache, STACK } from './lab-cache.ts';

const lab = labCache('vl-import-');
const recipes = join(lab.dir, 'recipes');
const tarball = join(recipes, 'tiny-rootfs.tar.gz');
let sum: string;
let server: Server;
let base: string;
let requests = 0;

beforeAll(async () => {
  const tree = join(lab.dir, 'tree');
  mkdirSync(join(tree, 'etc'), { recursive: true });
  mkdirSync(join(tree, 'usr/bin'), { recursive: true });
  mkdirSync(join(tree, 'home/user'), { recursive: true });
  writeFileSync(join(tree, 'etc/os-release'), 'ID=tinyos\nVERSION_ID=1\nPRETTY_NAME="Tiny OS 1"\n');
  writeFileSync(join(tree, 'usr/bin/hello'), '#!/bin/sh\necho hello\n');
  chmodSync(join(tree, 'usr/bin/hello'), 0o4755);
  writeFileSync(join(tree, 'home/user/.profile'), 'PS1=$\n');
  chownSync(join(tree, 'home/user'), 1000, 1000);
  chownSync(join(tree, 'home/user/.profile'), 1000, 1000);
  mkdirSync(recipes, { recursive: true });
  await execa('tar', [
    '--create',
    '--gzip',
    `--file=${tarball}`,
    `--directory=${tree}`,
    '--numeric-owner',
    '.',
  ]);
  sum = createHash('sha256').update(readFileSync(tarball)).digest('hex');
  server = createServer((request, response) => {
    requests += 1;
    if (request.url === '/tiny-rootfs.tar.gz') response.end(readFileSync(tarball));
    else {
      response.statusCode = 404;
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  lab.cleanup();
});

function recipe(name: string, source: string, sha256: string): void {
  writeFileSync(
    join(recipes, `${name}.yaml`),
    `name: ${name}\ndescription: imported\ndistribution: tinyos\nrelease: '1'\nbuilder: import\nsource: ${source}\nsha256: ${sha256}\n`,
  );
}

const build = (name: string) =>
  lab.cli(['image', 'build', name, '--recipes', recipes, '--overlays', defaultOverlaysDir]);

describe.runIf(isRoot)('import', () => {
  test('a tarball from a path: verified, unpacked with owners and modes, re-archived with a manifest', async () => {
    recipe('tiny', 'tiny-rootfs.tar.gz', sum);
    const run = await build('tiny');
    expect(run.exitCode, run.stderr).toBe(0);
    const archive = /built: (\S+) /.exec(run.stdout)?.[1] as string;
    const manifest = JSON.parse(readFileSync(join(archive, '..', 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      builder: 'import',
      distribution: 'tinyos',
      osRelease: { ID: 'tinyos', VERSION_ID: '1' },
      packages: [],
    });
    const entries = await archiveEntries(archive);
    expect(entries.find((e) => e.path === './usr/bin/hello')).toMatchObject({ mode: 0o4755, uid: 0 });
    expect(entries.find((e) => e.path === './home/user/.profile')).toMatchObject({ uid: 1000, gid: 1000 });
    expect(entries.find((e) => e.path === './etc/hostname')).toBeDefined();
  });

  test('a tarball over HTTP is downloaded once and kept by its checksum', async () => {
    recipe('tiny-http', `${base}/tiny-rootfs.tar.gz`, sum);
    const first = await build('tiny-http');
    expect(first.exitCode, first.stderr).toBe(0);
    expect(requests).toBe(1);
    cpSync(join(recipes, 'tiny-http.yaml'), join(recipes, 'tiny-again.yaml'));
    writeFileSync(
      join(recipes, 'tiny-again.yaml'),
      readFileSync(join(recipes, 'tiny-again.yaml'), 'utf8').replace('name: tiny-http', 'name: tiny-again'),
    );
    const second = await build('tiny-again');
    expect(second.exitCode, second.stderr).toBe(0);
    expect(requests).toBe(1);
  });

  test('a wrong checksum stops the build before anything is unpacked, naming the recipe and both sums', async () => {
    const wrong = 'a'.repeat(64);
    recipe('tiny-bad', 'tiny-rootfs.tar.gz', wrong);
    const run = await build('tiny-bad');
    expect(run.exitCode).toBe(1);
    expect(run.stderr).not.toMatch(STACK);
    expect(run.stderr).toContain(
      `${join(recipes, 'tiny-bad.yaml')}:7:9: sha256: tiny-rootfs.tar.gz has sha256 ${sum}, the recipe expects ${wrong}`,
    );
    const list = await lab.cli(['image', 'list', '--json', '--recipes', recipes]);
    expect(JSON.parse(list.stdout).find((row: { name: string }) => row.name === 'tiny-bad')).toMatchObject({
      cached: false,
    });
  });

  test('an unreachable source is named, quickly (a tarball already kept by its checksum is not fetched again)', async () => {
    const source = `http://127.0.0.1:${await closedPort()}/tiny-rootfs.tar.gz`;
    recipe('tiny-kept', source, sum);
    expect((await build('tiny-kept')).exitCode).toBe(0);
    recipe('tiny-gone', source, 'b'.repeat(64));
    const run = await build('tiny-gone');
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(`cannot download ${source}: the connection was refused`);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { checkSpecFile, checkSpecText, loadSpec, SpecError } from '../../../../core/spec/load.ts';
import { MAX_DOCUMENT_BYTES } from '../../../../core/yaml/document.ts';
import { formatProblem } from '../../../../core/yaml/problems.ts';
import { example, problems } from './check.ts';

const dir = mkdtempSync(join(tmpdir(), 'vl-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fileProblems(name: string, content?: string | Uint8Array): string[] {
  const file = join(dir, name);
  if (content !== undefined) writeFileSync(file, content);
  const result = checkSpecFile(file);
  return result.ok ? [] : result.problems.map((p) => formatProblem(name, p));
}

describe('files that are not a spec get one clear line', () => {
  test('an empty file, or one with only comments', () => {
    expect(fileProblems('empty.yaml', '')).toEqual([
      'empty.yaml: the file is empty (expected a cluster spec; `virtualinux spec example` prints one)',
    ]);
    expect(fileProblems('comments.yaml', '# nothing yet\n\n')).toHaveLength(1);
  });

  test('a missing file and a directory', () => {
    expect(fileProblems('absent.yaml')).toEqual([
      'absent.yaml: no such file (expected a cluster.yaml; `virtualinux spec example` prints one)',
    ]);
    expect(checkSpecFile(dir)).toEqual({
      ok: false,
      problems: [{ path: [], message: 'is a directory (expected a cluster.yaml)' }],
    });
  });

  test('binary junk and text that is not UTF-8', () => {
    expect(
      fileProblems('junk.yaml', Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00])),
    ).toEqual(['junk.yaml: binary data at character 4, not a YAML text (expected a cluster.yaml)']);
    expect(fileProblems('latin1.yaml', Uint8Array.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]))).toEqual([
      'latin1.yaml: not UTF-8 text (expected a cluster.yaml in UTF-8)',
    ]);
  });

  test('a file too large to be a spec is refused before it is read', () => {
    expect(fileProblems('huge.yaml', `# ${'x'.repeat(MAX_DOCUMENT_BYTES)}\n`)[0]).toMatch(
      /too large for a cluster spec/,
    );
  });

  test('a YAML syntax error is located', () => {
    expect(problems('cluster:\n  name: [lab\n')).toEqual([
      expect.stringMatching(/^cluster\.yaml:\d+:\d+: YAML syntax: /),
    ]);
    expect(problems('cluster: {name: lab}\ncluster: {name: lab2}\n')).toEqual([
      'cluster.yaml:2:1: YAML syntax: Map keys must be unique',
    ]);
  });

  test('a list or a scalar instead of sections', () => {
    expect(problems('- cluster\n- san\n')).toEqual([
      'cluster.yaml:1:1: expected a mapping of sections (cluster, san, nodes, …), found a list',
    ]);
    expect(problems('42\n')).toEqual([
      'cluster.yaml:1:1: expected a mapping of sections (cluster, san, nodes, …), found a single value',
    ]);
  });

  test('an alias bomb is refused, quickly', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i += 1) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      levels.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    expect(problems(levels.join('\n'))).toEqual([
      'cluster.yaml:1:1: YAML aliases expand too far (more than 100 references; a cluster spec never needs that)',
    ]);
  });

  test('a few aliases, as people use them to share a block, are fine', () => {
    const text = example
      .replace('  bladeLayer: 2GiB', '  bladeLayer: &layer 2GiB')
      .replace('      size: 4GiB', '      size: *layer');
    expect(problems(text)).toEqual([]);
  });
});

describe('loadSpec', () => {
  test('returns the spec of a valid file', () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, example);
    expect(loadSpec(file).cluster.name).toBe('lab');
  });

  test('throws one SpecError that lists every problem and how to recheck', () => {
    const file = join(dir, 'two.yaml');
    writeFileSync(file, example.replace('transport: tcp', 'transport: tpc').replace('lun: 1', 'lun: -1'));
    const error = (() => {
      try {
        loadSpec(file);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SpecError);
    expect((error as SpecError).message.split('\n')).toHaveLength(2);
    expect((error as SpecError).hint).toBe(`check it with: virtualinux spec check ${file}`);
  });

  test('accepts bytes and text alike', () => {
    expect(checkSpecText(new TextEncoder().encode(example)).ok).toBe(true);
  });
});

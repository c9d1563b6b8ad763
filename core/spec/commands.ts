/** `virtualinux spec …`: check a cluster.yaml, print the example, print the JSON Schema. */
import type { Command } from '../cli/command.ts';
import { UsageError } from '../errors.ts';
import { formatProblem } from '../yaml/problems.ts';
import { expandBlades, layoutNeed } from './derive.ts';
import { exampleSpecText } from './example.ts';
import { checkSpecFile } from './load.ts';
import { specReference } from './reference.ts';
import { specJsonSchema } from './schema.ts';
import { formatSize } from './size.ts';

const check: Command = {
  words: ['spec', 'check'],
  args: 'FILE...',
  summary: 'validate cluster specs; every problem as FILE:LINE:COL: field: what is wrong',
  run({ positionals, io }) {
    if (positionals.length === 0)
      throw new UsageError('spec check needs a file', 'usage: virtualinux spec check FILE...');
    let failed = false;
    for (const file of positionals) {
      const result = checkSpecFile(file);
      if (result.ok) {
        const { spec } = result;
        const need = formatSize(layoutNeed(spec).total);
        const lun = spec.san.size === undefined ? '' : ` of ${formatSize(spec.san.size)}`;
        io.out.write(
          `${file}: ok: cluster ${spec.cluster.name}, ${expandBlades(spec).length} blades, layout ${need}${lun}\n`,
        );
      } else {
        failed = true;
        for (const problem of result.problems) io.err.write(`${formatProblem(file, problem)}\n`);
        const count = result.problems.length;
        io.err.write(`${file}: ${count} ${count === 1 ? 'problem' : 'problems'}\n`);
      }
    }
    return failed ? 1 : 0;
  },
};

const example: Command = {
  words: ['spec', 'example'],
  args: '',
  summary: 'print the default spec (the 3-blade lab cluster) to start a cluster.yaml from',
  run({ io }) {
    io.out.write(exampleSpecText());
    return 0;
  },
};

const schema: Command = {
  words: ['spec', 'schema'],
  args: '',
  summary: 'print the JSON Schema of cluster.yaml, for editor completion',
  run({ io }) {
    io.out.write(`${JSON.stringify(specJsonSchema(), null, 2)}\n`);
    return 0;
  },
};

const reference: Command = {
  words: ['spec', 'reference'],
  args: '',
  summary: 'print the cluster.yaml reference in Markdown (docs/cluster-spec.md)',
  run({ io }) {
    io.out.write(specReference());
    return 0;
  },
};

export const specCommands = [check, example, schema, reference];

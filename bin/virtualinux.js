#!/usr/bin/env node
// Launcher: the CLI is TypeScript, loaded through tsx so that a clone runs without a build step.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// the package's own tsconfig, wherever the command runs from: tsx would look in the working
// directory, and the guided installer's .tsx files need its automatic JSX runtime
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../core/cli/run.ts');

#!/usr/bin/env node
// Launcher: the CLI is TypeScript, loaded through tsx so that a clone runs without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../core/cli/run.ts');

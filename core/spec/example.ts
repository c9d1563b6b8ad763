/** The embedded default spec: the 3-blade lab cluster, shipped as a real YAML file beside this one. */
import { readFileSync } from 'node:fs';

export const EXAMPLE_SPEC_URL = new URL('./example.yaml', import.meta.url);

export const exampleSpecText = () => readFileSync(EXAMPLE_SPEC_URL, 'utf8');

/** The first screen: what the installer is, what it will do, and the keys. */
import { Box, Text } from 'ink';
import { SCREEN_TITLES } from '../fields.ts';
import { useTheme } from '../theme.ts';
import type { KeptWalk } from '../walk.ts';
import { Button, type FormProps } from './widgets.tsx';

export const PRODUCT = 'VirtuaLinux installer';

const STEPS: readonly [string, string][] = [
  ['Network', 'the interface that reaches the SAN (sif), its modules'],
  ['SAN', 'portals, CHAP login, the LUN to install on'],
  ['Cluster', 'name, domain, cluster network, blades and their MACs'],
  ['Images', 'virtual-cluster images; the volumes and their sizes'],
  ['Review', 'the plan: nothing is written before you confirm it'],
  ['Install', 'partitions, volumes, images, boot files, cluster.yaml'],
];

export interface WelcomeProps extends Pick<FormProps, 'width' | 'height'> {
  version: string;
  /** the walk of a guided installer that stopped without leaving: its answers are filled in */
  resumed?: Pick<KeptWalk, 'screen' | 'at'>;
}

/** `2026-11-29T14:02:07.123Z` as `14:02 UTC`: the live system's clock is UTC */
const timeOf = (iso: string) => `${iso.slice(11, 16)} UTC`;

export function Welcome({ version, resumed, ...form }: WelcomeProps) {
  const { style } = useTheme();
  const title = `${PRODUCT} ${version}`;
  return (
    <Box flexDirection="column" width={form.width}>
      <Text {...style('title')}>{title}</Text>
      <Text>{'='.repeat(Math.min(title.length, form.width))}</Text>
      <Text> </Text>
      <Text wrap="truncate-end">This lays out a SAN LUN for a cluster of diskless blades:</Text>
      {STEPS.map(([step, what], i) => (
        <Text key={step} wrap="truncate-end">
          {`  ${i + 1} ${step.padEnd(8)} ${what}`}
        </Text>
      ))}
      <Text wrap="truncate-end">Then each blade boots its root from the SAN, with no server.</Text>
      <Text> </Text>
      <Text wrap="truncate-end">
        <Text {...style('key')}>Keys</Text>
        {'  ↑↓ move   Tab next field   Enter choose, go on   Esc back'}
      </Text>
      <Text wrap="truncate-end">{'      ? help    ! shell (root)   Ctrl-C quit'}</Text>
      <Text> </Text>
      {resumed && (
        <Text wrap="wrap" {...style('warning')}>
          {`The guided installer stopped at ${timeOf(resumed.at)} on the ${SCREEN_TITLES[resumed.screen]} screen without being left: its answers are filled in (the CHAP secret as the boot gave it). Discover asks the SAN again.`}
        </Text>
      )}
      <Button label="Begin" focused />
    </Box>
  );
}

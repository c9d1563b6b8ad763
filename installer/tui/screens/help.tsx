/** Help, over any screen: the keys, and what the screen is for. */
import { Box, Text } from 'ink';
import type { ScreenId } from '../fields.ts';
import { useTheme } from '../theme.ts';

const KEYS: readonly [string, string][] = [
  ['Tab, Shift-Tab', 'next, previous field'],
  ['Up, Down', 'move in a list; at its ends, to the field before or after'],
  ['Enter', 'choose a row, switch a toggle, press a button, next field'],
  ['Space', 'choose a row, take or leave an image, switch a toggle'],
  ['Backspace, Del', 'erase a character; on a blade: remove it'],
  ['Esc', 'the screen before (nothing is written before Install)'],
  ['!', 'a root shell; exit comes back here'],
  ['Ctrl-C', 'leave the installer, or stop the install (it asks first)'],
];

const PURPOSE: Record<ScreenId, string> = {
  welcome: 'What the installer does, step by step.',
  network: 'Choose the interface that reaches the SAN; static addresses need the fabric network.',
  san: 'Discover lists the LUNs; the secret is never shown and never written into cluster.yaml.',
  cluster: 'A range like node[01-16] and its first MAC gives every blade a MAC in order.',
  images: 'The volumes are the engine layout of this spec; the total must fit the LUN.',
  review: "Nothing is written before Install; erasing a LUN takes the cluster's name.",
  progress: 'l shows the log; a stopped install is completed by installing again.',
  done: 'The blades boot from the SAN now.',
};

export function Help({ screen, width }: { screen: ScreenId; width: number }) {
  const { style } = useTheme();
  return (
    <Box flexDirection="column" width={width}>
      <Text {...style('title')}>Help (Esc, ? or Enter closes it)</Text>
      <Text> </Text>
      {KEYS.map(([keys, what]) => (
        <Text key={keys} wrap="truncate-end">
          <Text {...style('key')}>{`  ${keys.padEnd(16)}`}</Text>
          {what}
        </Text>
      ))}
      <Text> </Text>
      <Text wrap="wrap">{PURPOSE[screen]}</Text>
      <Text wrap="truncate-end">? and ! are typed as they are into the CHAP secret.</Text>
    </Box>
  );
}

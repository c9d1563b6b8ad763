/** Done: what the install made, where cluster.yaml is, and what to do next. */
import { Box, Text } from 'ink';
import type { InstallOutcome } from '../port.ts';
import type { Asked, Notice } from '../state.ts';
import { useTheme } from '../theme.ts';
import { Button, type FormProps, ListWindow } from './widgets.tsx';

export interface DoneProps extends Pick<FormProps, 'width' | 'height'> {
  outcome: InstallOutcome;
  clusterName: string;
  /** a blade of the cluster, to show the reset command with */
  exampleBlade: string;
  /** how long the install took, in seconds */
  seconds?: number | undefined;
  /** saving cluster.yaml to a USB stick: not asked, being saved, where, or why not */
  usb: Asked<string>;
  focus: 'usb' | 'continue' | undefined;
}

/** lines besides the list of what was created */
const FIXED_LINES = 13;

function usbNotice(usb: Asked<string>): Notice | undefined {
  switch (usb.state) {
    case 'idle':
      return undefined;
    case 'asking':
      return { text: 'saving cluster.yaml to the USB stick...', error: false };
    case 'seen':
      return { text: usb.value, error: false };
    case 'failed':
      return {
        text: usb.failure.hint ? `${usb.failure.message}: ${usb.failure.hint}` : usb.failure.message,
        error: true,
      };
  }
}

export function Done({ outcome, clusterName, exampleBlade, seconds, usb, focus, ...screen }: DoneProps) {
  const { style } = useTheme();
  const took = seconds === undefined ? '' : ` in ${Math.round(seconds)} s`;
  return (
    <Box flexDirection="column" width={screen.width}>
      <Text
        wrap="truncate-end"
        {...style('ok')}
      >{`Cluster ${clusterName} is installed on ${outcome.lun}${took}.`}</Text>
      <Text>Created:</Text>
      <ListWindow
        rows={outcome.created}
        cursor={0}
        height={Math.max(1, screen.height - FIXED_LINES)}
        render={(line) => (
          <Text key={line} wrap="truncate-end">
            {`  - ${line}`}
          </Text>
        )}
      />
      <Text wrap="truncate-end">{`cluster.yaml is saved in ${outcome.specSaved}`}</Text>
      <Text> </Text>
      <Text>Next:</Text>
      <Text wrap="truncate-end">
        {' '}
        1. Power on the blades: each boots its root from the SAN, no server needed.
      </Text>
      <Text wrap="truncate-end">
        {' '}
        2. To reset one blade to its factory state, in a shell (! or on a blade):
      </Text>
      <Text wrap="truncate-end">{`       virtualinux reset --spec cluster.yaml ${exampleBlade}`}</Text>
      <Text> </Text>
      <Button label="Save cluster.yaml to a USB stick" focused={focus === 'usb'} notice={usbNotice(usb)} />
      <Button label="Leave the installer" focused={focus === 'continue'} />
    </Box>
  );
}

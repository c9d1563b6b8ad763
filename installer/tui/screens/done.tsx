/** Done: what the install made, where cluster.yaml is, and what to do next. */
import { Box, Text } from 'ink';
import type { InstallOutcome } from '../port.ts';
import { useTheme } from '../theme.ts';
import { Button, type FormProps, ListWindow } from './widgets.tsx';

export interface DoneProps extends Pick<FormProps, 'width' | 'height'> {
  outcome: InstallOutcome;
  clusterName: string;
  /** a blade of the cluster, to show the reset command with */
  exampleBlade: string;
  /** how long the install took, in seconds */
  seconds?: number | undefined;
}

/** lines besides the list of what was created */
const FIXED_LINES = 11;

export function Done({ outcome, clusterName, exampleBlade, seconds, ...screen }: DoneProps) {
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
      <Button label="Leave the installer" focused />
    </Box>
  );
}

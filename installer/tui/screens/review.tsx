/**
 * Review: the plan in the engine's words (describePlan), the problems that still stand, and the
 * consent — the cluster's name typed when the LUN's contents are erased, as on the command line.
 */
import { Box, Text } from 'ink';
import type { PlanSummary } from '../port.ts';
import type { Asked } from '../state.ts';
import { useTheme } from '../theme.ts';
import { Button, type FormProps, ListWindow, Mark, Messages, TextInput, wrapLine } from './widgets.tsx';

export interface ReviewProps extends FormProps {
  plan: Asked<PlanSummary>;
  /** the plan line under the cursor */
  cursor: number;
  clusterName: string;
  /** the plan erases the LUN: the cluster's name must be typed */
  erases: boolean;
  confirm: string;
  /** every problem of the spec still standing, with its screen */
  standing: readonly string[];
}

function PlanStatus({ plan }: { plan: Asked<PlanSummary> }) {
  const { style } = useTheme();
  switch (plan.state) {
    case 'idle':
      return (
        <Text wrap="truncate-end">No plan yet: the spec has problems (below). Esc goes back to them.</Text>
      );
    case 'asking':
      return <Text>Planning: reading the LUN ...</Text>;
    case 'failed':
      return (
        <Box flexDirection="column">
          <Text {...style('error')}>! The install is refused: {plan.failure.message}</Text>
          {plan.failure.hint && <Text>{plan.failure.hint}</Text>}
        </Box>
      );
    case 'seen':
      return null;
  }
}

/** lines besides the plan's */
const FIXED_LINES = 4;

export function Review(props: ReviewProps) {
  const { style } = useTheme();
  const { focus, notices = {}, plan } = props;
  const lines = plan.state === 'seen' ? plan.value.lines : [];
  // each line of the plan is read whole: a long one takes several rows
  const rows = lines.flatMap((line, of) =>
    wrapLine(line, props.width - 2).map((text, part) => ({ text, of, key: `${of}.${part}` })),
  );
  const standing = props.standing.slice(0, 4);
  const room =
    props.height - FIXED_LINES - standing.length - (props.erases ? 2 : 0) - (notices.install ? 1 : 0);
  return (
    <Box flexDirection="column" width={props.width}>
      <PlanStatus plan={plan} />
      {lines.length > 0 && (
        <Text wrap="truncate-end">{`The plan (${lines.length} lines; up and down read it all):`}</Text>
      )}
      <ListWindow
        rows={rows}
        cursor={Math.max(
          0,
          rows.findIndex((row) => row.of === props.cursor),
        )}
        height={Math.max(1, room)}
        render={(row) => (
          <Text
            key={row.key}
            wrap="truncate-end"
            {...(/ERASED/.test(lines[row.of] ?? '') ? style('error') : {})}
          >
            <Mark on={focus === 'plan' && row.of === props.cursor} />
            {row.text}
          </Text>
        )}
      />
      {standing.length > 0 && (
        <Messages
          problems={[
            ...standing,
            ...(props.standing.length > standing.length
              ? [`and ${props.standing.length - standing.length} more`]
              : []),
          ]}
        />
      )}
      {props.erases && (
        <>
          <Text wrap="truncate-end" {...style('error')}>
            {`This ERASES what the LUN holds. Type the cluster name (${props.clusterName}) to go on:`}
          </Text>
          <TextInput
            field="confirm"
            focused={focus === 'confirm'}
            value={props.confirm}
            notice={notices.confirm}
          />
        </>
      )}
      <Button label="Install" focused={focus === 'install'} notice={notices.install} />
    </Box>
  );
}

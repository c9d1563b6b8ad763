/**
 * Cluster: its name, domain and network, and its blades — entered as a range and a first MAC,
 * taken from MACs that appeared on the network, or imported from a YAML or CSV text.
 */
import { Box, Text } from 'ink';
import { describeEntry, rangeEntryProblems } from '../blades.ts';
import type { NodeDraft } from '../draft.ts';
import { useTheme } from '../theme.ts';
import { Button, type FormProps, ListWindow, Mark, Messages, TextInput } from './widgets.tsx';

export interface ClusterProps extends FormProps {
  name: string;
  domain: string;
  network: string;
  nodes: readonly NodeDraft[];
  bladeCursor: number;
  /** the spec's problems of each entry, shown under its row */
  entryProblems: readonly (readonly string[])[];
  /** the spec's problems of the list as a whole: no blade at all */
  listProblems: readonly string[];
  range: string;
  firstMac: string;
  /** MACs that appeared on the network and are no blade's yet */
  enlisted: readonly string[];
  enlistCursor: number;
  /** the name the next enlisted blade gets */
  nextName: string;
  /** blades brought as text, offered for import */
  offer?: { label: string } | undefined;
}

function BladeRow(props: { entry: NodeDraft; active: boolean; problems: readonly string[] }) {
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Mark on={props.active} />
        {`${String(props.entry.name).padEnd(12)} ${describeEntry(props.entry)}`}
      </Text>
      <Messages problems={props.problems} />
    </Box>
  );
}

/** what the range typed so far expands to, once it does */
function RangePreview({ range, firstMac }: { range: string; firstMac: string }) {
  const { style } = useTheme();
  const problems = rangeEntryProblems(range, firstMac);
  if (problems.range || problems.firstMac) return null;
  return (
    <Text wrap="truncate-end" {...style('muted')}>
      {`      -> ${describeEntry({ name: range.trim(), mac: firstMac.trim() })}`}
    </Text>
  );
}

/** lines besides the blades' and the enlisted MACs' rows */
const FIXED_LINES = 10;

export function Cluster(props: ClusterProps) {
  const { style } = useTheme();
  const { focus, problems = {}, notices = {} } = props;
  const room = Math.max(2, props.height - FIXED_LINES - (props.offer ? 1 : 0));
  const enlistRows = Math.min(props.enlisted.length, Math.max(1, Math.floor(room / 3)));
  const bladeRows = Math.max(1, room - (enlistRows > 0 ? enlistRows + 1 : 0));
  return (
    <Box flexDirection="column" width={props.width}>
      <TextInput
        field="cluster.name"
        focused={focus === 'cluster.name'}
        value={props.name}
        problems={problems['cluster.name']}
      />
      <TextInput
        field="cluster.domain"
        focused={focus === 'cluster.domain'}
        value={props.domain}
        problems={problems['cluster.domain']}
      />
      <TextInput
        field="network.cidr"
        focused={focus === 'network.cidr'}
        value={props.network}
        problems={problems['network.cidr']}
      />
      <Text wrap="truncate-end">
        {`Blades (${props.nodes.length === 0 ? 'none yet' : `${props.nodes.length} ${props.nodes.length === 1 ? 'entry' : 'entries'}`}; Enter edits one, Del removes it):`}
      </Text>
      {props.nodes.length === 0 && (
        <Text wrap="truncate-end">
          <Mark on={focus === 'blades'} />
          <Text {...style('muted')}>add a range below, an enlisted MAC, or an import</Text>
        </Text>
      )}
      <ListWindow
        rows={props.nodes}
        cursor={props.bladeCursor}
        height={bladeRows}
        render={(entry, i) => (
          <BladeRow
            key={`${i}:${String(entry.name)}`}
            entry={entry}
            active={focus === 'blades' && i === props.bladeCursor}
            problems={props.entryProblems[i] ?? []}
          />
        )}
      />
      <Messages problems={props.listProblems} notice={notices.blades} />
      <TextInput field="range" focused={focus === 'range'} value={props.range} notice={notices.range} />
      <TextInput
        field="firstMac"
        focused={focus === 'firstMac'}
        value={props.firstMac}
        notice={notices.firstMac}
      />
      <RangePreview range={props.range} firstMac={props.firstMac} />
      <Button label="Add blades" focused={focus === 'add-blades'} />
      {props.enlisted.length > 0 && (
        <Text wrap="truncate-end">New MACs on the network (Enter adds one as the next blade):</Text>
      )}
      <ListWindow
        rows={props.enlisted}
        cursor={props.enlistCursor}
        height={enlistRows}
        render={(mac, i) => (
          <Text key={mac} wrap="truncate-end">
            <Mark on={focus === 'enlisted' && i === props.enlistCursor} />
            {`${mac}  -> ${i === props.enlistCursor ? props.nextName : '...'}`}
          </Text>
        )}
      />
      {props.offer && (
        <Button
          label={`Import blades from ${props.offer.label}`}
          focused={focus === 'import'}
          notice={notices.import}
        />
      )}
      <Button label="Continue" focused={focus === 'continue'} />
    </Box>
  );
}

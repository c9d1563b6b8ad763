/**
 * The pieces every form screen is made of: a text field, a toggle, a button, the problems under
 * an item, a window on a long list. They render; the App reads the keys (keys.ts).
 * Plain ASCII marks ("> ", "(*)", "[x]"), so a serial console shows them as they are.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { type ItemId, TEXT_FIELDS, type TextFieldId } from '../fields.ts';
import type { Notice } from '../state.ts';
import { useTheme } from '../theme.ts';

/** what every form screen takes besides its own data: the focus, the problems, its size */
export interface FormProps {
  focus?: ItemId | undefined;
  /** the problems shown at each item (the spec checker's and the installer's) */
  problems?: Partial<Record<ItemId, readonly string[]>>;
  notices?: Partial<Record<ItemId, Notice>>;
  /** the screen's body, in columns and rows */
  width: number;
  height: number;
}

export const LABEL_WIDTH = 17;

export function Mark({ on }: { on: boolean }) {
  const { style } = useTheme();
  return <Text {...(on ? style('focus') : {})}>{on ? '> ' : '  '}</Text>;
}

export function Messages({
  problems = [],
  notice,
}: {
  problems?: readonly string[];
  notice?: Notice | undefined;
}) {
  const { style } = useTheme();
  if (problems.length === 0 && !notice) return null;
  return (
    <Box flexDirection="column" paddingLeft={4}>
      {problems.map((p) => (
        <Text key={p} {...style('error')}>
          ! {p}
        </Text>
      ))}
      {notice && (
        <Text {...style(notice.error ? 'error' : 'ok')}>{`${notice.error ? '! ' : ''}${notice.text}`}</Text>
      )}
    </Box>
  );
}

interface TextInputProps {
  field: TextFieldId;
  focused: boolean;
  /** the text as typed; a masked field is given only its length */
  value: string | { length: number };
  problems?: readonly string[] | undefined;
  notice?: Notice | undefined;
}

export function TextInput({ field, focused, value, problems, notice }: TextInputProps) {
  const { style } = useTheme();
  const { label, example, masked } = TEXT_FIELDS[field];
  const shown = masked || typeof value !== 'string' ? '*'.repeat(value.length) : value;
  return (
    <Box flexDirection="column">
      <Box>
        <Text>
          <Mark on={focused} />
          {label.padEnd(LABEL_WIDTH)}
        </Text>
        <Box flexGrow={1} flexShrink={1}>
          {shown === '' && !focused ? (
            <Text wrap="truncate-end" {...style('muted')}>
              ({example})
            </Text>
          ) : (
            // the end of a long value stays in view: that is where the typing happens
            <Text wrap="truncate-start">{`${shown}${focused ? '_' : ''}`}</Text>
          )}
        </Box>
      </Box>
      <Messages problems={problems} notice={notice} />
    </Box>
  );
}

export function Toggle<T extends string>(props: {
  label: string;
  options: readonly { value: T; label: string }[];
  value: T;
  focused: boolean;
  problems?: readonly string[] | undefined;
}) {
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Mark on={props.focused} />
        {props.label.padEnd(LABEL_WIDTH)}
        {props.options.map((o) => `${o.value === props.value ? '(*)' : '( )'} ${o.label}`).join('  ')}
      </Text>
      <Messages problems={props.problems} />
    </Box>
  );
}

export function Button({
  label,
  focused,
  notice,
}: {
  label: string;
  focused: boolean;
  notice?: Notice | undefined;
}) {
  const { style } = useTheme();
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Mark on={focused} />
        <Text {...(focused ? style('focus') : {})}>[ {label} ]</Text>
      </Text>
      <Messages notice={notice} />
    </Box>
  );
}

/** the first row shown of a list of `length` rows in `height` rows, keeping the cursor in view */
export function windowStart(cursor: number, length: number, height: number): number {
  if (length <= height) return 0;
  return Math.max(0, Math.min(cursor - Math.floor(height / 2), length - height));
}

/** rows of a list in at most `height` lines; a longer list shows a window and which rows it shows */
export function ListWindow<T>(props: {
  rows: readonly T[];
  cursor: number;
  height: number;
  render: (row: T, index: number) => ReactNode;
}) {
  const { style } = useTheme();
  const { rows } = props;
  const fits = rows.length <= props.height;
  const height = fits ? rows.length : Math.max(1, props.height - 1);
  const start = windowStart(props.cursor, rows.length, height);
  const shown = rows.slice(start, start + height);
  return (
    <Box flexDirection="column">
      {shown.map((row, i) => props.render(row, start + i))}
      {!fits && (
        <Text {...style('muted')} wrap="truncate-end">
          {`    rows ${start + 1}-${start + shown.length} of ${rows.length} (up/down to see the others)`}
        </Text>
      )}
    </Box>
  );
}

/**
 * A long line as lines of at most `width` columns, broken between words where it can, the
 * continuations indented like the line itself: messages are read whole, not cut off.
 */
export function wrapLine(line: string, width: number): string[] {
  const indent = ' '.repeat(Math.min(line.length - line.trimStart().length + 2, Math.floor(width / 2)));
  const lines: string[] = [];
  let rest = line;
  let prefix = '';
  while ((prefix + rest).length > width) {
    const room = width - prefix.length;
    const space = rest.lastIndexOf(' ', room);
    const cut = space > room / 2 ? space : room;
    lines.push(prefix + rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
    prefix = indent;
  }
  lines.push(prefix + rest);
  return lines;
}

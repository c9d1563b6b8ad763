/**
 * Progress: one line per action of the plan with its state, a bar with bytes and rate while an
 * image is written, the time so far and left, and the commands' log behind `l`.
 */
import { Box, Text } from 'ink';
import { formatSize } from '../../../core/spec/size.ts';
import {
  type ActionLine,
  type ActionState,
  finishedActions,
  formatDuration,
  type InstallProgress,
  progressBar,
  remainingSeconds,
  type Transfer,
  transferRate,
} from '../progress.ts';
import { type Role, useTheme } from '../theme.ts';
import { type FormProps, ListWindow } from './widgets.tsx';

export interface ProgressProps extends Pick<FormProps, 'width' | 'height'> {
  progress: InstallProgress;
  /** install cluster lab on /dev/sdb (40 GiB) */
  title: string;
}

const STATE_WORDS: Record<ActionState, [string, Role]> = {
  waiting: ['wait', 'muted'],
  running: ['RUN ', 'focus'],
  done: ['done', 'ok'],
  skipped: ['done', 'muted'],
  failed: ['FAIL', 'error'],
};

function ActionRow({ action, index }: { action: ActionLine; index: number }) {
  const { style } = useTheme();
  const [word, role] = STATE_WORDS[action.state];
  const took = action.durationMs === undefined ? '' : `  ${(action.durationMs / 1000).toFixed(1)} s`;
  const before = action.state === 'skipped' ? '  (done before)' : '';
  return (
    <Text wrap="truncate-end">
      {'  '}
      <Text {...style(role)}>{word}</Text>
      {` ${String(index + 1).padStart(2)}. ${action.description}${took}${before}`}
    </Text>
  );
}

function TransferLine({ transfer, width }: { transfer: Transfer; width: number }) {
  const amount = (n: number) => (transfer.unit === 'bytes' ? formatSize(n) : String(n));
  const rate = transferRate(transfer);
  const left = remainingSeconds(transfer);
  const parts = [
    transfer.total === undefined
      ? amount(transfer.done)
      : `${amount(transfer.done)} of ${amount(transfer.total)}`,
    rate === undefined ? undefined : `${amount(Math.round(rate))}/s`,
    left === undefined ? undefined : `${formatDuration(left)} left`,
  ].filter(Boolean);
  const bar =
    transfer.total === undefined
      ? ''
      : `${progressBar(transfer.done, transfer.total, Math.min(32, width - 48))} `;
  return <Text wrap="truncate-end">{`  ${bar}${parts.join('  ')}  (${transfer.stage})`}</Text>;
}

function Outcome({ progress }: { progress: InstallProgress }) {
  const { style } = useTheme();
  const { failure } = progress;
  switch (progress.state) {
    case 'stopping':
      return <Text {...style('warning')}>Stopping after the running command ...</Text>;
    case 'stopped':
    case 'failed':
      return (
        <Box flexDirection="column">
          <Text {...style('error')}>
            {progress.state === 'stopped' ? '! Stopped' : '! The install failed'}
            {failure ? `: ${failure.message}` : ''}
          </Text>
          {failure?.hint && <Text>{failure.hint}</Text>}
          <Text wrap="truncate-end">
            Installing again completes it: the LUN keeps what is done. Ctrl-C leaves the installer.
          </Text>
        </Box>
      );
    default:
      return null;
  }
}

export function Progress({ progress, title, ...screen }: ProgressProps) {
  const { style } = useTheme();
  const elapsed =
    progress.startedAt === undefined ? 0 : ((progress.now ?? progress.startedAt) - progress.startedAt) / 1000;
  const running = progress.actions.findIndex((a) => a.state === 'running' || a.state === 'failed');
  const outcomeLines = progress.state === 'running' ? 0 : progress.state === 'stopping' ? 1 : 3;
  const logLines = progress.showLog ? Math.max(3, Math.floor((screen.height - 4) / 2)) : 0;
  const actionRows = Math.max(1, screen.height - 5 - outcomeLines - logLines - (progress.transfer ? 1 : 0));
  return (
    <Box flexDirection="column" width={screen.width}>
      <Text wrap="truncate-end" {...style('title')}>
        {title}
      </Text>
      <Text wrap="truncate-end">
        {`${finishedActions(progress)} of ${progress.actions.length} actions done, ${formatDuration(elapsed)} so far`}
      </Text>
      <ListWindow
        rows={progress.actions}
        cursor={running === -1 ? progress.actions.length - 1 : running}
        height={actionRows}
        render={(action, i) => <ActionRow key={action.id} action={action} index={i} />}
      />
      {progress.transfer && <TransferLine transfer={progress.transfer} width={screen.width} />}
      <Outcome progress={progress} />
      {progress.showLog && (
        <Box flexDirection="column">
          <Text {...style('muted')}>{'-'.repeat(Math.min(screen.width, 40))} log (l hides it)</Text>
          {progress.log.slice(-logLines).map((line) => (
            <Text key={line.n} wrap="truncate-end">
              {line.text}
            </Text>
          ))}
        </Box>
      )}
      {!progress.showLog && <Text {...style('muted')}>l shows the commands and their output</Text>}
    </Box>
  );
}

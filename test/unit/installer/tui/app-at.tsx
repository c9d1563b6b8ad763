/** The App started at a point of the dialogue, on ink-testing-library's terminal or a sized one. */
import { render } from 'ink-testing-library';
import { App, type AppProps } from '../../../../installer/tui/app.tsx';
import type { State } from '../../../../installer/tui/state.ts';
import { IMAGES, RecordedPort } from './fixtures.ts';
import { renderOn, settle } from './terminal.tsx';

export function appAt(state: State, more: Partial<AppProps> = {}) {
  const port = (more.port as RecordedPort | undefined) ?? new RecordedPort();
  return <App port={port} version="0.1.0" images={IMAGES} env={{}} initial={state} {...more} />;
}

/** the App at a state, its effects run, ready for keys */
export async function startAt(state: State, more: Partial<AppProps> = {}) {
  const port = (more.port as RecordedPort | undefined) ?? new RecordedPort();
  const instance = render(appAt(state, { ...more, port }));
  await settle();
  // typing on it waits for its frames to settle
  const stdin = { write: instance.stdin.write, frames: instance.frames };
  return { ...instance, stdin, port, frame: () => instance.lastFrame() ?? '' };
}

export async function startSized(
  state: State,
  size: { columns: number; rows: number },
  more: Partial<AppProps> = {},
) {
  const terminal = renderOn(appAt(state, more), size);
  await settle();
  return terminal;
}

/**
 * Colours that degrade: NO_COLOR takes the colours away, TERM=dumb every attribute too. Ink colours
 * only when chalk sees a colour terminal, so this file forces one before loading Ink.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { themeFor } from '../../../../installer/tui/theme.ts';

const forced = process.env.FORCE_COLOR;
process.env.FORCE_COLOR = '1';
const { Text } = await import('ink');
const { render, cleanup } = await import('ink-testing-library');
const { startAt } = await import('./app-at.tsx');
const { feed, walkTo } = await import('./fixtures.ts');
if (forced === undefined) delete process.env.FORCE_COLOR;
else process.env.FORCE_COLOR = forced;

afterAll(() => cleanup());

const ESC = '\u001B[';
const RED = '\u001B[31m';

describe('themeFor', () => {
  test('a colour terminal gets colours and attributes', () => {
    const theme = themeFor({ TERM: 'xterm-256color' });
    expect(theme).toMatchObject({ colors: true, attributes: true });
    expect(theme.style('error')).toEqual({ color: 'red' });
  });

  test('NO_COLOR (not empty) takes the colours away and keeps bold', () => {
    const theme = themeFor({ TERM: 'xterm', NO_COLOR: '1' });
    expect(theme).toMatchObject({ colors: false, attributes: true });
    expect(theme.style('error')).toEqual({ bold: true });
    expect(theme.style('ok')).toEqual({});
    expect(themeFor({ TERM: 'xterm', NO_COLOR: '' }).colors).toBe(true);
  });

  test('TERM=dumb takes every attribute away', () => {
    const theme = themeFor({ TERM: 'dumb' });
    expect(theme).toMatchObject({ colors: false, attributes: false });
    for (const role of ['title', 'focus', 'error', 'warning', 'ok', 'muted', 'key'] as const)
      expect(theme.style(role)).toEqual({});
  });
});

describe('on screen', () => {
  // the SAN screen with the foreign LUN under the cursor: its data is red where colour is allowed
  const foreign = () =>
    feed(walkTo('cluster'), { type: 'back' }, { type: 'focus-on', item: 'luns' }, { type: 'move', delta: 1 });

  test('foreign data is red on a colour terminal', async () => {
    const { frame } = await startAt(foreign(), { env: { TERM: 'xterm' } });
    expect(frame()).toContain(`${RED}FOREIGN DATA`);
  });

  test('with NO_COLOR nothing is coloured, and the words still say it', async () => {
    const { frame } = await startAt(foreign(), { env: { TERM: 'xterm', NO_COLOR: '1' } });
    expect(frame()).toContain('FOREIGN DATA');
    // no colour sequence: ESC [ 3x m (foreground), 4x (background), 9x (bright)
    expect(frame()).not.toMatch(/\[[349]\dm/);
  });

  test('with TERM=dumb not a single escape sequence is written', async () => {
    const { frame } = await startAt(foreign(), { env: { TERM: 'dumb' } });
    expect(frame()).toContain('FOREIGN DATA');
    expect(frame()).toContain('> ( )   2');
    expect(frame()).not.toContain(ESC);
  });

  test('this file does see colours, so the checks above can fail', () => {
    expect(render(<Text color="red">x</Text>).lastFrame()).toContain(RED);
  });
});

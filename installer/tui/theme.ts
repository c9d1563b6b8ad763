/**
 * Colours that degrade. The screens say everything in words (a marker for the focus, "FOREIGN"
 * for data that is not ours), so colour only helps: NO_COLOR (https://no-color.org) turns it
 * off, TERM=dumb turns off every attribute too (a dumb serial line shows escape codes as junk).
 */
import { createContext, useContext } from 'react';

export type Role = 'title' | 'focus' | 'error' | 'warning' | 'ok' | 'muted' | 'key';

/** what Ink's <Text> takes */
export interface TextStyle {
  color?: string;
  bold?: boolean;
  inverse?: boolean;
  dimColor?: boolean;
}

export interface Theme {
  colors: boolean;
  attributes: boolean;
  style(role: Role): TextStyle;
}

const COLORS: Record<Role, TextStyle> = {
  title: { color: 'cyan', bold: true },
  focus: { color: 'cyan', bold: true },
  error: { color: 'red' },
  warning: { color: 'yellow' },
  ok: { color: 'green' },
  muted: { dimColor: true },
  key: { color: 'cyan' },
};

const ATTRIBUTES: Record<Role, TextStyle> = {
  title: { bold: true },
  focus: { bold: true },
  error: { bold: true },
  warning: {},
  ok: {},
  muted: {},
  key: {},
};

export function themeFor(env: NodeJS.ProcessEnv): Theme {
  const attributes = env.TERM !== 'dumb';
  // NO_COLOR: "when present and not an empty string"
  const colors = attributes && (env.NO_COLOR === undefined || env.NO_COLOR === '');
  const styles = colors ? COLORS : attributes ? ATTRIBUTES : undefined;
  return { colors, attributes, style: (role) => styles?.[role] ?? {} };
}

export const ThemeContext = createContext<Theme>(themeFor({}));

export const useTheme = () => useContext(ThemeContext);

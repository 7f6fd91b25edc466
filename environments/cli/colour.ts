// Colour for people at a terminal: on for a TTY, off in a pipe, with NO_COLOR set (no-color.org) or TERM=dumb; FORCE_COLOR turns it on.

export interface Paint {
  readonly on: boolean;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

/** Whether text written to `stream` may carry colour escapes. */
export function colourFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

const sgr = (on: boolean, open: number, close: number) => (text: string) =>
  on ? `\x1b[${open}m${text}\x1b[${close}m` : text;

export function paint(on: boolean): Paint {
  return {
    on,
    green: sgr(on, 32, 39),
    red: sgr(on, 31, 39),
    yellow: sgr(on, 33, 39),
    bold: sgr(on, 1, 22),
    dim: sgr(on, 2, 22),
  };
}

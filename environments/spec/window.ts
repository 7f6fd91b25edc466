/**
 * The text forms of a `window` gate, shared by the spec loader (which rejects what does not parse)
 * and the window gate (which evaluates them):
 * - an allowed range `"<days> HH:MM-HH:MM"`: days `*`, `Mon`, `Mon-Fri`, `Sat,Sun` or a mix such as
 *   `Mon-Wed,Fri` (a range may wrap: `Fri-Mon`); the end may be `24:00`, and is not included;
 * - a wall-clock time `YYYY-MM-DDTHH:MM` (seconds optional), read in the gate's time zone.
 */

/** Day names in the order of `Date.getUTCDay()`: 0 is Sunday. */
export const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

export interface AllowRange {
  /** As written, e.g. `Mon-Fri 09:00-17:00`. */
  text: string;
  /** Day numbers (0 = Sunday), ascending. */
  days: number[];
  /** Minutes since midnight: the range covers start <= minute < end. */
  startMinute: number;
  endMinute: number;
}

/** A wall-clock date and time, with no time zone of its own. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Parses `"<days> HH:MM-HH:MM"`; undefined when it is not of that form (the range may still be empty). */
export function parseAllowRange(text: string): AllowRange | undefined {
  const match = /^(\S+) (\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(text);
  if (!match) return undefined;
  const days = parseDays(match[1]);
  const startMinute = minuteOfDay(match[2], match[3]);
  const endMinute = minuteOfDay(match[4], match[5]);
  if (!days || startMinute === undefined || endMinute === undefined) return undefined;
  return { text, days, startMinute, endMinute };
}

/** `*`, `Mon`, `Mon-Fri`, `Sat,Sun`, `Mon-Wed,Fri`, `Fri-Mon` → day numbers. */
function parseDays(text: string): number[] | undefined {
  if (text === '*') return [0, 1, 2, 3, 4, 5, 6];
  const days = new Set<number>();
  for (const part of text.split(',')) {
    const [from, to, extra] = part.split('-');
    const first = dayNumber(from);
    const last = to === undefined ? first : dayNumber(to);
    if (extra !== undefined || first < 0 || last < 0) return undefined;
    for (let day = first; ; day = (day + 1) % 7) {
      days.add(day);
      if (day === last) break;
    }
  }
  return [...days].sort((a, b) => a - b);
}

function dayNumber(name: string): number {
  return (DAY_NAMES as readonly string[]).indexOf(name);
}

/** Minutes since midnight for `HH`, `MM`; `24:00` is the end of the day. */
function minuteOfDay(hour: string, minute: string): number | undefined {
  const h = Number(hour);
  const m = Number(minute);
  if (m > 59 || h > 24 || (h === 24 && m !== 0)) return undefined;
  return h * 60 + m;
}

/** The form of a wall-clock time: `YYYY-MM-DDTHH:MM`, seconds optional. */
export const WALL_TIME_FORMAT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** Parses `YYYY-MM-DDTHH:MM[:SS]`; undefined unless it is a real calendar date and time. */
export function parseWallTime(text: string): WallTime | undefined {
  const match = WALL_TIME_FORMAT.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0));
  const time: WallTime = { year, month, day, hour, minute, second };
  const date = new Date(wallTimeValue(time));
  const real =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60;
  return real ? time : undefined;
}

/** The wall time as if it were UTC, in milliseconds: orders wall times and does arithmetic on them. */
export function wallTimeValue(time: WallTime): number {
  return Date.UTC(time.year, time.month - 1, time.day, time.hour, time.minute, time.second);
}

/** Whether `timeZone` is an IANA time zone this Node knows (e.g. `Europe/Berlin`, `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  // The canonical names first: a list lookup of ~2 ms, where building a formatter for a zone loads
  // ICU's zone data (~25 ms); aliases (`Asia/Calcutta`), other spellings and mistakes go on to it.
  if (timeZone.toUpperCase() === 'UTC' || canonicalZones().has(timeZone)) return true;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone });
    return true;
  } catch {
    return false;
  }
}

let zones: Set<string> | undefined;
function canonicalZones(): Set<string> {
  return (zones ??= new Set(Intl.supportedValuesOf('timeZone')));
}

/**
 * The `window` gate: promotion is allowed at the context's `now()`, read in the gate's time zone,
 * unless it falls inside a freeze, or `allow` lists ranges and it falls outside all of them. When
 * closed, the evidence names the next opening within 8 days (best effort). Time zones come from
 * @date-fns/tz (the runtime's IANA data through Intl), with the daylight-saving rules of `TimeZone`.
 */
import { TZDate, tzOffset } from '@date-fns/tz';
import {
  DAY_NAMES,
  parseAllowRange,
  parseWallTime,
  wallTimeValue,
  type AllowRange,
  type WallTime,
} from '../../spec/window';
import { outcome, type GateEvaluator } from './types';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** How far ahead the next opening is looked for. */
const LOOKAHEAD_DAYS = 8;

export const windowGate: GateEvaluator<'window'> = async (gate, ctx) => {
  const calendar = new WindowCalendar(gate);
  const now = ctx.now().getTime();
  const state = calendar.at(now);
  const local = `${calendar.local(now)} (${gate.timezone})`;
  const evidence: Record<string, unknown> = {
    timezone: gate.timezone,
    now: new Date(now).toISOString(),
    localTime: calendar.local(now),
    allow: gate.allow,
  };
  if (state.range) evidence.matched = state.range.text;
  if (state.open) {
    const why = state.range ? `is inside ${state.range.text}` : 'is outside every freeze';
    return outcome('pass', `${local} ${why}`, evidence);
  }
  const next = calendar.nextOpening(now);
  if (next !== undefined) evidence.nextOpening = { at: new Date(next).toISOString(), local: calendar.local(next) };
  const then = next !== undefined ? `; next opening ${calendar.local(next)}` : '';
  if (state.freeze) {
    const { from, to, reason } = state.freeze;
    evidence.freeze = reason === undefined ? { from, to } : { from, to, reason };
    const why = reason ? `: ${reason}` : '';
    return outcome(
      'fail',
      `promotion is frozen until ${to.replace('T', ' ')} (${gate.timezone})${why}${then}`,
      evidence,
    );
  }
  return outcome('fail', `${local} is outside the allowed windows (${gate.allow.join(', ')})${then}`, evidence);
};

interface Freeze {
  from: string;
  to: string;
  reason?: string;
  start: number;
  end: number;
}

interface WindowState {
  open: boolean;
  /** The freeze in effect, if any. */
  freeze?: Freeze;
  /** The allowed range that contains the time, if any. */
  range?: AllowRange;
}

/** A window gate's ranges and freezes, answering "open at this instant?". */
class WindowCalendar {
  private readonly zone: TimeZone;
  private readonly ranges: AllowRange[];
  private readonly freezes: Freeze[];

  constructor(gate: {
    timezone: string;
    allow: string[];
    freeze: Array<{ from: string; to: string; reason?: string }>;
  }) {
    this.zone = new TimeZone(gate.timezone);
    this.ranges = gate.allow.map((text) => {
      const range = parseAllowRange(text);
      if (!range) throw new Error(`allowed range "${text}" is not of the form "Mon-Fri 09:00-17:00"`);
      return range;
    });
    this.freezes = gate.freeze.map((f) => ({ ...f, start: this.instant(f.from), end: this.instant(f.to) }));
  }

  at(instant: number): WindowState {
    const freeze = this.freezes.find((f) => f.start <= instant && instant < f.end);
    const local = this.zone.wallTime(instant);
    const minute = local.hour * 60 + local.minute;
    const range = this.ranges.find(
      (r) => r.days.includes(local.weekday) && r.startMinute <= minute && minute < r.endMinute,
    );
    return { open: !freeze && (this.ranges.length === 0 || range !== undefined), freeze, range };
  }

  /**
   * The first instant after `instant` (within 8 days) at which the window is open. The window can
   * only open where an allowed range starts or a freeze ends, so only those instants are tried.
   */
  nextOpening(instant: number): number | undefined {
    const limit = instant + LOOKAHEAD_DAYS * DAY_MS;
    const candidates = [...this.freezes.map((f) => f.end), ...this.rangeStarts(instant)]
      .filter((t) => t > instant && t <= limit)
      .sort((a, b) => a - b);
    return candidates.find((t) => this.at(t).open);
  }

  /** `Mon 2026-01-05 09:30`, in the gate's time zone. */
  local(instant: number): string {
    const t = this.zone.wallTime(instant);
    const pad = (n: number): string => String(n).padStart(2, '0');
    return `${DAY_NAMES[t.weekday]} ${t.year}-${pad(t.month)}-${pad(t.day)} ${pad(t.hour)}:${pad(t.minute)}`;
  }

  /** Where each allowed range starts on each local day from today through the look-ahead. */
  private rangeStarts(instant: number): number[] {
    const today = this.zone.wallTime(instant);
    const starts: number[] = [];
    for (let offset = 0; offset <= LOOKAHEAD_DAYS; offset++) {
      const date = new Date(Date.UTC(today.year, today.month - 1, today.day + offset));
      for (const range of this.ranges.filter((r) => r.days.includes(date.getUTCDay()))) {
        const wall: WallTime = {
          year: date.getUTCFullYear(),
          month: date.getUTCMonth() + 1,
          day: date.getUTCDate(),
          hour: Math.floor(range.startMinute / 60),
          minute: range.startMinute % 60,
          second: 0,
        };
        starts.push(this.zone.instant(wall));
      }
    }
    return starts;
  }

  private instant(text: string): number {
    const wall = parseWallTime(text);
    if (!wall) throw new Error(`freeze time "${text}" is not a date and time of the form 2026-12-20T00:00`);
    return this.zone.instant(wall);
  }
}

/**
 * An IANA time zone (through @date-fns/tz): instants to wall-clock times and back. A wall-clock
 * time that a change to summer time skips is moved forward by the change (02:30 on the night
 * Berlin jumps from 02:00 to 03:00 is 03:30); one that a change back shows twice is its first
 * occurrence (still in summer time).
 */
class TimeZone {
  constructor(readonly name: string) {
    // Throws a RangeError for an unknown zone.
    new Intl.DateTimeFormat('en-US', { timeZone: name });
  }

  /** The wall-clock time (and day of the week, 0 = Sunday) at `instant` in this zone. */
  wallTime(instant: number): WallTime & { weekday: number } {
    const t = new TZDate(instant, this.name);
    return {
      year: t.getFullYear(),
      month: t.getMonth() + 1,
      day: t.getDate(),
      hour: t.getHours(),
      minute: t.getMinutes(),
      second: t.getSeconds(),
      weekday: t.getDay(),
    };
  }

  /** The instant at which this zone's clocks show `wall` (see the class comment for skipped and repeated times). */
  instant(wall: WallTime): number {
    const at = new TZDate(
      wall.year,
      wall.month - 1,
      wall.day,
      wall.hour,
      wall.minute,
      wall.second,
      0,
      this.name,
    ).getTime();
    // Clocks set back within the last day: the same wall time may also have been shown earlier.
    const back = tzOffset(this.name, new Date(at - DAY_MS)) - tzOffset(this.name, new Date(at));
    if (back > 0) {
      const earlier = at - back * MINUTE_MS;
      if (wallTimeValue(this.wallTime(earlier)) === wallTimeValue(wall)) return earlier;
    }
    return at;
  }
}

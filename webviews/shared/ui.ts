/**
 * Building blocks of the three views. Every string that came from data goes through a Lit
 * text or attribute binding (escaped by construction); nothing here writes HTML.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import { html, noChange, nothing, render, type CSSResult, type TemplateResult } from 'lit';
import { Directive, directive, PartType, type ElementPart, type PartInfo } from 'lit/directive.js';
import { ifDefined } from 'lit/directives/if-defined.js';
import { absolute, relative } from './format';
import { baseStyles } from './styles';

export type Tone = 'ok' | 'error' | 'warn' | 'info' | 'muted';

/**
 * Sets CSS custom properties through the CSSOM (`style.setProperty`), which a CSP without
 * 'unsafe-inline' allows, unlike a `style` attribute.
 */
class CssVars extends Directive {
  constructor(part: PartInfo) {
    super(part);
    if (part.type !== PartType.ELEMENT) throw new Error('cssVars() goes on an element: <div ${cssVars(...)}>');
  }
  render(_vars: Record<string, string>): unknown {
    return noChange;
  }
  override update(part: ElementPart, [vars]: [Record<string, string>]): unknown {
    const style = (part.element as HTMLElement).style;
    for (const [k, v] of Object.entries(vars)) if (style.getPropertyValue(k) !== v) style.setProperty(k, v);
    return noChange;
  }
}
export const cssVars = directive(CssVars);

/** A codicon, hidden from screen readers (the text beside it says the same). */
export function icon(name: string, extra = ''): TemplateResult {
  return html`<span class="codicon codicon-${name} ${extra}" aria-hidden="true"></span>`;
}

/** A status pill: an icon or dot in the tone's colour, and the word. */
export function pill(text: string, tone: Tone, iconName?: string, label?: string): TemplateResult {
  return html`<span class="pill tone-${tone} ${iconName ? '' : 'dot'}" aria-label=${ifDefined(label)}
    >${iconName ? icon(iconName, iconName === 'loading' ? 'codicon-modifier-spin' : '') : nothing}${text}</span
  >`;
}

/** `5 min ago` with the full time as its tooltip, or `fallback` for no time. */
export function timeAgo(iso: string | undefined, fallback = 'never'): TemplateResult {
  const rel = relative(iso);
  if (!iso || !rel) return html`<span>${fallback}</span>`;
  return html`<time datetime=${iso} title=${absolute(iso)}>${rel}</time>`;
}

export interface ButtonOptions {
  label: string;
  icon?: string;
  secondary?: boolean;
  disabled?: boolean;
  /** Shows the icon alone; the label becomes the accessible name and tooltip. */
  iconOnly?: boolean;
  /** The accessible name when the visible label is not enough (`Restart web`). */
  ariaLabel?: string;
  title?: string;
  onClick: () => void;
}

export function button(o: ButtonOptions): TemplateResult {
  const click = (e: Event) => {
    e.stopPropagation();
    if (!o.disabled) o.onClick();
  };
  const name = o.ariaLabel ?? (o.iconOnly ? o.label : undefined);
  return html`<vscode-button
    ?secondary=${o.secondary ?? false}
    ?icon-only=${o.iconOnly ?? false}
    ?disabled=${o.disabled ?? false}
    aria-disabled=${o.disabled ? 'true' : 'false'}
    icon=${ifDefined(o.icon)}
    aria-label=${ifDefined(name)}
    title=${ifDefined(o.title ?? name)}
    @click=${click}
    >${o.iconOnly ? nothing : o.label}</vscode-button
  >`;
}

/** A quiet empty state: an icon, a headline and a line of explanation, and maybe an action. */
export function emptyState(
  iconName: string,
  headline: string,
  detail: TemplateResult | string,
  action?: TemplateResult,
  tone?: Tone,
): TemplateResult {
  return html`<div class="empty ${tone ? `tone-${tone}` : ''}" role="status">
    ${icon(iconName)}<strong>${headline}</strong>
    <div>${detail}</div>
    ${action ?? nothing}
  </div>`;
}

export function loading(what: string): TemplateResult {
  return html`<div class="empty" role="status" aria-live="polite">
    <vscode-progress-ring aria-label=${`Loading ${what}`}></vscode-progress-ring>
    <div>Waiting for ${what}…</div>
  </div>`;
}

export interface Tab<K extends string> {
  key: K;
  label: string;
  count?: number;
}

/**
 * A tab list (WAI-ARIA tabs): one tab in the Tab order, Left/Right/Home/End move between tabs
 * and select them. `panelId` is the id of the tab panel it controls.
 */
export function tabs<K extends string>(
  label: string,
  items: Array<Tab<K>>,
  selected: K,
  panelId: string,
  onSelect: (key: K) => void,
): TemplateResult {
  const keydown = (e: KeyboardEvent) => {
    const i = items.findIndex((t) => t.key === selected);
    const next =
      e.key === 'ArrowRight'
        ? (i + 1) % items.length
        : e.key === 'ArrowLeft'
          ? (i - 1 + items.length) % items.length
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? items.length - 1
              : -1;
    if (next < 0) return;
    e.preventDefault();
    onSelect(items[next].key);
    queueMicrotask(() =>
      (e.currentTarget as HTMLElement | null)?.querySelector<HTMLElement>('[aria-selected="true"]')?.focus(),
    );
  };
  return html`<div class="tabs" role="tablist" aria-label=${label} @keydown=${keydown}>
    ${items.map(
      (t) =>
        html`<button
          class="tab"
          role="tab"
          id=${`tab-${panelId}-${t.key}`}
          aria-selected=${t.key === selected ? 'true' : 'false'}
          aria-controls=${panelId}
          tabindex=${t.key === selected ? 0 : -1}
          @click=${() => onSelect(t.key)}
        >
          ${t.label}${t.count !== undefined ? html`<vscode-badge variant="counter">${t.count}</vscode-badge>` : nothing}
        </button>`,
    )}
  </div>`;
}

/** A use-against-quota meter (`role=meter`). Without a quota it shows the figure only. */
export function meter(
  label: string,
  used: number,
  quota: number | undefined,
  fmt: (n: number) => string,
  unit = '',
): TemplateResult {
  const has = quota !== undefined && quota > 0;
  const share = has ? Math.min(1, Math.max(0, used / quota)) : 0;
  const level = !has ? '' : share >= 0.95 ? 'full' : share >= 0.8 ? 'high' : '';
  const text = has ? `${fmt(used)} / ${fmt(quota)}${unit}` : `${fmt(used)}${unit}`;
  return html`<div
    class="meter ${level}"
    role="meter"
    aria-label=${label}
    aria-valuemin="0"
    aria-valuemax=${has ? quota : used}
    aria-valuenow=${used}
    aria-valuetext=${has ? `${text} (${Math.round(share * 100)}%)` : `${text}, no limit`}
  >
    <span class="figures"
      >${text}${has ? html` <span class="muted">· ${Math.round(share * 100)}%</span>` : html` <span class="muted">· no limit</span>`}</span
    >
    ${has ? html`<div class="track"><div class="fill" ${cssVars({ '--share': String(share) })}></div></div>` : nothing}
  </div>`;
}

/**
 * Installs the shared and the view's styles, renders `view()` into `#app` now and whenever
 * `update()` is called (and every 30 s, so relative times stay true).
 */
export function mount(
  view: () => TemplateResult,
  styles: CSSResult[] = [],
  busy: () => boolean = () => false,
): { update(): void } {
  const sheets = [baseStyles, ...styles].map((s) => s.styleSheet).filter((s): s is CSSStyleSheet => !!s);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, ...sheets];
  const root = document.getElementById('app') ?? document.body;
  let queued = false;
  const update = () => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      draw();
    });
  };
  const draw = () => {
    render(view(), root);
    root.setAttribute('aria-busy', busy() ? 'true' : 'false');
  };
  draw();
  setInterval(update, 30_000);
  return { update };
}

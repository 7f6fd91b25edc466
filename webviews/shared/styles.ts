/**
 * The styles every view shares, themed only with VS Code's `--vscode-*` variables (so dark,
 * light and high-contrast themes all apply). Installed as a constructed stylesheet: allowed by
 * the page's CSP without 'unsafe-inline'.
 */
import { css } from 'lit';

export const baseStyles = css`
  :root {
    --sw-ok: var(--vscode-testing-iconPassed);
    --sw-error: var(--vscode-testing-iconFailed, var(--vscode-errorForeground));
    --sw-warn: var(--vscode-editorWarning-foreground);
    --sw-info: var(--vscode-progressBar-background);
    --sw-muted: var(--vscode-descriptionForeground);
    --sw-border: var(--vscode-widget-border, var(--vscode-panel-border));
    --sw-radius: 4px;
    --sw-gap: 12px;
  }
  body {
    padding: 0 24px 24px;
    line-height: 1.4;
  }
  #app {
    max-width: 1280px;
  }
  h1,
  h2,
  h3 {
    margin: 0;
    font-weight: 600;
    color: var(--vscode-foreground);
  }
  h1 {
    font-size: 20px;
    line-height: 28px;
  }
  h2 {
    font-size: 13px;
    text-transform: uppercase;
    letter-spacing: 0.04em;
    color: var(--vscode-foreground);
  }
  h3 {
    font-size: 13px;
  }
  a {
    color: var(--vscode-textLink-foreground);
    text-decoration: none;
  }
  a:hover {
    text-decoration: underline;
  }
  :focus-visible {
    outline: 1px solid var(--vscode-focusBorder);
    outline-offset: 1px;
  }
  code,
  .mono {
    font-family: var(--vscode-editor-font-family);
    font-size: 12px;
  }
  .muted {
    color: var(--sw-muted);
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }

  /* Header */
  .header {
    display: flex;
    flex-wrap: wrap;
    align-items: flex-start;
    justify-content: space-between;
    gap: var(--sw-gap);
    padding: 20px 0 16px;
    border-bottom: 1px solid var(--sw-border);
    margin-bottom: 20px;
  }
  .title {
    display: flex;
    align-items: center;
    gap: 10px;
    min-width: 0;
  }
  .title > .codicon {
    font-size: 24px;
    color: var(--vscode-icon-foreground, var(--vscode-foreground));
  }
  .title h1 {
    overflow-wrap: anywhere;
  }
  .meta {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 16px;
    margin-top: 4px;
    color: var(--sw-muted);
  }
  .meta > span {
    display: inline-flex;
    align-items: center;
    gap: 4px;
    overflow-wrap: anywhere;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    align-items: center;
  }

  /* Status pills: a coloured dot (or icon) and a word; never colour alone. */
  .pill {
    --c: var(--sw-muted);
    display: inline-flex;
    align-items: center;
    gap: 5px;
    padding: 0 8px;
    height: 20px;
    border-radius: 10px;
    font-size: 11px;
    font-weight: 600;
    white-space: nowrap;
    color: var(--vscode-foreground);
    background: color-mix(in srgb, var(--c) 20%, transparent);
    border: 1px solid var(--vscode-contrastBorder, color-mix(in srgb, var(--c) 45%, transparent));
  }
  .pill .codicon {
    font-size: 14px;
    color: var(--c);
  }
  .pill.dot::before {
    content: '';
    width: 7px;
    height: 7px;
    border-radius: 50%;
    background: var(--c);
  }
  .tone-ok {
    --c: var(--sw-ok);
  }
  .tone-error {
    --c: var(--sw-error);
  }
  .tone-warn {
    --c: var(--sw-warn);
  }
  .tone-info {
    --c: var(--sw-info);
  }
  .tone-muted {
    --c: var(--sw-muted);
  }
  .state-icon {
    color: var(--c);
  }

  /* Sections and cards */
  section + section {
    margin-top: 24px;
  }
  .section-head {
    display: flex;
    align-items: center;
    justify-content: space-between;
    gap: var(--sw-gap);
    margin-bottom: 8px;
  }
  .card {
    border: 1px solid var(--sw-border);
    border-radius: var(--sw-radius);
    background: var(--vscode-editorWidget-background, transparent);
  }
  .card + .card {
    margin-top: 10px;
  }

  /* Tables */
  .table-wrap {
    overflow-x: auto;
    border: 1px solid var(--sw-border);
    border-radius: var(--sw-radius);
  }
  table {
    width: 100%;
    border-collapse: collapse;
  }
  th {
    text-align: left;
    font-weight: 600;
    font-size: 11px;
    text-transform: uppercase;
    letter-spacing: 0.04em;
    color: var(--sw-muted);
    padding: 8px 10px;
    border-bottom: 1px solid var(--sw-border);
    white-space: nowrap;
    background: var(--vscode-editorWidget-background, transparent);
  }
  td {
    padding: 8px 10px;
    border-bottom: 1px solid var(--sw-border);
    vertical-align: top;
  }
  tbody tr:last-child td {
    border-bottom: none;
  }
  tbody tr.row:hover {
    background: var(--vscode-list-hoverBackground);
  }

  /* Disclosure toggles */
  .toggle {
    display: inline-flex;
    align-items: center;
    gap: 4px;
    padding: 2px 4px;
    margin: -2px -4px;
    border: none;
    border-radius: 3px;
    background: none;
    color: inherit;
    font: inherit;
    cursor: pointer;
    text-align: left;
  }
  .toggle:hover {
    background: var(--vscode-toolbar-hoverBackground);
  }

  /* Meters: use against quota */
  .meter {
    display: grid;
    gap: 3px;
    min-width: 110px;
  }
  .meter .track {
    height: 4px;
    border-radius: 2px;
    background: color-mix(in srgb, var(--vscode-foreground) 14%, transparent);
    overflow: hidden;
  }
  .meter .fill {
    height: 100%;
    width: calc(var(--share, 0) * 100%);
    background: var(--vscode-progressBar-background);
    border-radius: 2px;
  }
  .meter.high .fill {
    background: var(--sw-warn);
  }
  .meter.full .fill {
    background: var(--sw-error);
  }
  .meter .figures {
    font-size: 12px;
    font-variant-numeric: tabular-nums;
    white-space: nowrap;
  }

  /* Log and output text */
  pre.log {
    margin: 0;
    padding: 8px 10px;
    max-height: 240px;
    overflow: auto;
    font-family: var(--vscode-editor-font-family);
    font-size: 12px;
    line-height: 18px;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    color: var(--vscode-editor-foreground);
    background: var(--vscode-textCodeBlock-background);
    border-radius: 3px;
  }

  /* Empty and loading states */
  .empty {
    display: grid;
    justify-items: center;
    gap: 8px;
    padding: 40px 16px;
    text-align: center;
    color: var(--sw-muted);
  }
  .empty > .codicon {
    font-size: 40px;
  }
  .empty.tone-ok > .codicon {
    color: var(--sw-ok);
  }
  .empty strong {
    font-size: 15px;
    color: var(--vscode-foreground);
  }

  /* Tabs (role=tablist) */
  .tabs {
    display: flex;
    gap: 4px;
    border-bottom: 1px solid var(--sw-border);
    margin-bottom: 12px;
  }
  .tab {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    padding: 6px 10px;
    border: none;
    border-bottom: 2px solid transparent;
    background: none;
    color: var(--vscode-panelTitle-inactiveForeground, var(--sw-muted));
    font: inherit;
    cursor: pointer;
    text-transform: uppercase;
    font-size: 11px;
    letter-spacing: 0.04em;
  }
  .tab[aria-selected='true'] {
    color: var(--vscode-panelTitle-activeForeground, var(--vscode-foreground));
    border-bottom-color: var(--vscode-panelTitle-activeBorder, var(--vscode-focusBorder));
  }
  .tab:hover {
    color: var(--vscode-panelTitle-activeForeground, var(--vscode-foreground));
  }
  vscode-badge {
    vertical-align: middle;
  }
  vscode-progress-bar {
    position: fixed;
    top: 0;
    left: 0;
    right: 0;
  }
`;

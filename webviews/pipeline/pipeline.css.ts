/** The pipeline view's styles (the shared ones are in ../shared/styles.ts). */
import { css } from 'lit';

export const pipelineStyles = css`
  .graph {
    list-style: none;
    margin: 0 0 24px;
    padding: 0;
    display: flex;
    align-items: stretch;
    overflow-x: auto;
    padding-bottom: 4px;
  }
  .stage {
    flex: 1 1 0;
    min-width: 150px;
    padding: 10px 12px;
  }
  .stage + .stage,
  .card + .card.stage {
    margin-top: 0;
  }
  .stage-head {
    display: flex;
    align-items: center;
    gap: 6px;
    margin-bottom: 6px;
  }
  .stage-head h3 {
    flex: 1;
    text-transform: capitalize;
  }
  .stage-body {
    display: grid;
    gap: 2px;
    font-size: 12px;
  }
  .rollout {
    list-style: none;
    margin: 4px 0 0;
    padding: 0;
  }
  .rollout-automatic {
    color: var(--vscode-editorWarning-foreground);
  }
  .connector {
    flex: 0 0 132px;
    display: flex;
    align-items: center;
  }
  .edge {
    display: flex;
    align-items: center;
    width: 100%;
    padding: 4px 2px;
    background: none;
    border: 1px solid transparent;
    border-radius: var(--sw-radius);
    color: var(--vscode-foreground);
    font: inherit;
    cursor: pointer;
  }
  .edge:hover {
    background: var(--vscode-toolbar-hoverBackground);
  }
  .edge[aria-pressed='true'] {
    border-color: var(--vscode-focusBorder);
    background: var(--vscode-list-inactiveSelectionBackground, transparent);
  }
  .edge-line {
    flex: 1;
    height: 2px;
    min-width: 8px;
    background: var(--c, var(--sw-border));
    opacity: 0.7;
  }
  .edge-line.plain {
    background: var(--sw-border);
  }
  .edge-label {
    display: inline-flex;
    align-items: center;
    gap: 4px;
    padding: 0 6px;
    font-size: 12px;
    white-space: nowrap;
  }
  .edge-arrow {
    color: var(--c, var(--sw-muted));
    margin-left: -6px;
  }
  .summary {
    margin-top: 2px;
  }
  .promotion h2 {
    display: flex;
    align-items: center;
    gap: 6px;
  }
  .why {
    display: flex;
    align-items: center;
    gap: 6px;
    margin: 4px 0 12px;
  }
  .gates {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  .gate {
    border-left: 3px solid var(--c);
  }
  .gate-main {
    display: flex;
    gap: 10px;
    padding: 10px 12px;
    align-items: flex-start;
  }
  .gate-icon {
    font-size: 18px;
    line-height: 20px;
  }
  .gate-icon .codicon {
    font-size: 18px;
  }
  .gate-text {
    flex: 1;
    min-width: 0;
    display: grid;
    gap: 3px;
  }
  .gate-title {
    display: flex;
    align-items: center;
    gap: 8px;
    flex-wrap: wrap;
  }
  .kind {
    display: inline-flex;
    align-items: center;
    gap: 3px;
    font-size: 12px;
    color: var(--sw-muted);
  }
  .reason {
    overflow-wrap: anywhere;
  }
  .gate-meta {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 14px;
    font-size: 12px;
    align-items: center;
  }
  .gate-meta > span {
    display: inline-flex;
    align-items: center;
    gap: 4px;
  }
  .gate-actions {
    display: flex;
    gap: 6px;
    flex-shrink: 0;
  }
  .evidence {
    display: grid;
    gap: 8px;
    padding: 10px 12px 12px 40px;
    border-top: 1px solid var(--sw-border);
  }
  .ev-row {
    display: grid;
    grid-template-columns: 140px 1fr;
    gap: 8px;
    align-items: start;
  }
  .ev-row.col {
    grid-template-columns: 1fr;
    gap: 4px;
  }
  .ev-key {
    color: var(--sw-muted);
    overflow-wrap: anywhere;
  }
  .ev-val {
    overflow-wrap: anywhere;
    white-space: pre-wrap;
  }
  .chips {
    display: flex;
    flex-wrap: wrap;
    gap: 6px;
  }
  .chip {
    padding: 0 6px;
    border-radius: 3px;
    border: 1px solid var(--sw-border);
    font-size: 12px;
  }
  .chip.nonzero {
    border-color: var(--sw-error);
  }
  .approvers {
    list-style: none;
    margin: 0;
    padding: 0;
  }
`;

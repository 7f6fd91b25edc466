/** The drift view's styles (the shared ones are in ../shared/styles.ts). */
import { css } from 'lit';

export const driftStyles = css`
  .resource {
    overflow: hidden;
  }
  .res-head {
    display: flex;
    align-items: center;
    flex-wrap: wrap;
    gap: 8px;
    padding: 8px 12px;
  }
  .res-head h3 {
    display: inline;
    overflow-wrap: anywhere;
  }
  .spacer {
    flex: 1;
  }
  .count {
    font-size: 12px;
  }
  .res-body {
    border-top: 1px solid var(--sw-border);
  }
  .res-body table {
    table-layout: fixed;
  }
  .res-body th {
    background: transparent;
  }
  .c-prop {
    width: 22%;
  }
  th.prop {
    text-transform: none;
    letter-spacing: 0;
    font-weight: normal;
    color: var(--vscode-foreground);
    border-bottom: 1px solid var(--sw-border);
    vertical-align: top;
    white-space: normal;
    overflow-wrap: anywhere;
  }
  td.val .mono {
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .declared-cell {
    border-left: 1px solid var(--sw-border);
  }
  .actual-cell {
    border-left: 1px solid var(--sw-border);
  }
  mark {
    color: inherit;
    border-radius: 2px;
    padding: 0 1px;
  }
  mark.declared {
    background: var(--vscode-diffEditor-removedTextBackground);
    outline: 1px dashed var(--vscode-diffEditor-removedTextBorder, transparent);
  }
  mark.actual {
    background: var(--vscode-diffEditor-insertedTextBackground);
    outline: 1px dashed var(--vscode-diffEditor-insertedTextBorder, transparent);
  }
`;

/** The environment dashboard's styles (the shared ones are in ../shared/styles.ts). */
import { css } from 'lit';

export const dashboardStyles = css`
  .stats {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(180px, 1fr));
    gap: 10px;
    margin-bottom: 24px;
  }
  .stat {
    padding: 10px 12px;
    display: grid;
    gap: 4px;
    align-content: start;
  }
  .stat + .stat {
    margin-top: 0;
  }
  .stat.tone-warn,
  .stat.tone-error {
    border-left: 3px solid var(--c);
  }
  .stat-label {
    font-size: 11px;
    text-transform: uppercase;
    letter-spacing: 0.04em;
    color: var(--sw-muted);
  }
  .stat-value {
    font-size: 18px;
    font-weight: 600;
    display: flex;
    align-items: center;
    gap: 6px;
  }
  .stat-sub {
    display: flex;
    align-items: center;
    gap: 6px;
    min-height: 26px;
  }
  .banner {
    display: flex;
    gap: 8px;
    align-items: flex-start;
    padding: 8px 12px;
    margin-bottom: 16px;
    border: 1px solid var(--vscode-inputValidation-errorBorder, var(--sw-error));
    background: var(--vscode-inputValidation-errorBackground, transparent);
    border-radius: var(--sw-radius);
    overflow-wrap: anywhere;
  }
  td .name strong {
    font-weight: 600;
  }
  .databases .nowrap {
    white-space: nowrap;
  }
  .row-actions {
    text-align: right;
    white-space: nowrap;
  }
  .usage {
    display: grid;
    gap: 6px;
  }
  /* A narrow panel (a split editor, a small window): ports and image move into the expanded row,
     so the row's own actions stay in view without scrolling. */
  .services {
    container: services / inline-size;
  }
  .details {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 4px 12px;
    margin: 0 0 8px;
  }
  .details dt {
    color: var(--sw-muted);
  }
  .details dd {
    margin: 0;
  }
  .narrow-only {
    display: none;
  }
  .pills {
    display: flex;
    flex-direction: column;
    align-items: flex-start;
    gap: 4px;
  }
  .narrowest-only {
    display: none;
  }
  @container services (max-width: 760px) {
    .wide-only {
      display: none;
    }
    .narrow-only {
      display: grid;
    }
  }
  /* Narrower still: health under the state, and the meters give way. */
  @container services (max-width: 600px) {
    .health-col {
      display: none;
    }
    .narrowest-only {
      display: inline;
    }
    .services .meter {
      min-width: 80px;
    }
    .services .meter .figures,
    .services th {
      white-space: normal;
    }
  }
  .logs-row > td {
    background: var(--vscode-editor-background);
    padding: 8px 10px 12px 30px;
  }
  .log-actions {
    display: flex;
    align-items: center;
    gap: 10px;
    margin-top: 8px;
  }
  .error-text {
    color: var(--vscode-errorForeground);
  }
  .banner.tone-warn {
    border-color: var(--vscode-inputValidation-warningBorder, var(--sw-warn));
    background: var(--vscode-inputValidation-warningBackground, transparent);
  }
  .share {
    padding: 10px 12px;
    margin-bottom: 24px;
  }
  .share-row {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 8px 14px;
  }
  .share-address {
    overflow-wrap: anywhere;
  }
  .share-actions {
    display: flex;
    gap: 6px;
    margin-left: auto;
  }
  .quotas {
    margin-top: 8px;
  }
  .quotas .meter {
    min-width: 140px;
  }
`;

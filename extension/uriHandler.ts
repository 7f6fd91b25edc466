/** Opens vscode://slipway.slipway/open?project=...&branch=... links: that environment's dashboard and pipeline view (with Approve). */
import * as vscode from 'vscode';
import { parseEditorLink } from '../environments/share/editor-link';
import type { Slipway } from './slipway';
import type { Panels } from './webviews/panels';

export function registerUriHandler(slipway: Slipway, panels: Panels): vscode.Disposable {
  return vscode.window.registerUriHandler({
    handleUri(uri: vscode.Uri): void {
      const target = parseEditorLink(uri.path, uri.query);
      if ('error' in target) {
        slipway.log.warn(`a Slipway link was not opened: ${target.error}`);
        void vscode.window.showErrorMessage(
          `Slipway cannot open this link: ${target.error}. Ask for a new one (\`slipway share\` prints it).`,
        );
        return;
      }
      slipway.log.info(`opening ${target.project} / ${target.branch} from a link`);
      panels.show('dashboard', target);
      // The pipeline view runs gates and approvals: only in a trusted workspace, like its command.
      if (vscode.workspace.isTrusted) panels.show('pipeline', target);
      else
        void vscode.window.showWarningMessage(
          `Trust this workspace to see the pipeline of ${target.project} / ${target.branch} and approve it.`,
        );
    },
  });
}

/**
 * dockerode's BuildKit session (gRPC inside), docker-modem's SSH agent (ssh2) and the tar packer of
 * build contexts (tar-fs and tar-stream), which all load with dockerode and which a command that
 * builds nothing on a local engine never calls: loaded on first use where
 * dockerode comes from node_modules (the CLI in a checkout). The bundled CLI does the same at build
 * time (scripts/lazy-parts.mjs).
 */
import { loadOnFirstUse, resolveFrom } from '../lazy-modules';

loadOnFirstUse(resolveFrom('dockerode', 'dockerode/lib/session.js'), 'function');
loadOnFirstUse(resolveFrom('docker-modem', 'docker-modem/lib/ssh.js'), 'function');
loadOnFirstUse(resolveFrom('dockerode', 'tar-fs'), 'object');

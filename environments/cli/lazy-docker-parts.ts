/**
 * dockerode's BuildKit session (gRPC inside) and docker-modem's SSH agent (ssh2), which both load
 * with dockerode and which a command on a local engine never calls: loaded on first call where
 * dockerode comes from node_modules (the CLI in a checkout). The bundled CLI does the same at build
 * time (scripts/lazy-parts.mjs).
 */
import { loadOnFirstUse, resolveFrom } from '../lazy-modules';

loadOnFirstUse(resolveFrom('dockerode', 'dockerode/lib/session.js'), 'function');
loadOnFirstUse(resolveFrom('docker-modem', 'docker-modem/lib/ssh.js'), 'function');

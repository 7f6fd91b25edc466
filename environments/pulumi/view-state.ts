/** Keeps an environment's declared Docker view in step with what the stack worker applied, so `drift` can check reality without Pulumi. */
import { removeView, writeView } from '../docker/declared-view';
import { connectDocker } from '../docker/engine';
import type { EnvNames } from '../naming';
import { sendOutput } from './channel';
import type { WorkerSettings } from './protocol';

/**
 * After a successful `up`: the containers this run created or replaced are read back as they
 * are now (what the provider just made); the ones it left alone keep their last view. A partial
 * (targeted) update records none: the next `up` runs Pulumi anyway. A view that cannot be
 * written only costs the next `drift` a Pulumi run.
 */
export async function recordDeclaredView(
  settings: WorkerSettings,
  names: EnvNames,
  fingerprint: string,
  containers: Record<string, string>,
  ops: Map<string, string>,
  all = false,
): Promise<void> {
  try {
    if (fingerprint === 'partial' || fingerprint === 'accepted') {
      removeView(settings.home, names.project, names.env);
      return;
    }
    const fresh = new Set(Object.keys(containers).filter((name) => all || (ops.get(name) ?? 'same') !== 'same'));
    await writeView(
      connectDocker(settings.dockerHost),
      settings.home,
      { project: names.project, env: names.env, state: settings.stateId },
      fingerprint,
      containers,
      fresh,
    );
  } catch (err) {
    removeView(settings.home, names.project, names.env);
    sendOutput(
      `the declared view for drift was not kept (${(err as Error).message}); the next drift check asks Pulumi`,
    );
  }
}

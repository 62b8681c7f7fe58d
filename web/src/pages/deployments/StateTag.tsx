// A deployment's state as a coloured tag, in the chosen language.
import { Tag } from 'antd';
import type { DeploymentState } from '../../api/types';
import { useI18n } from '../../i18n';
import type { MessageKey } from '../../i18n/en-US';

const colours: Record<DeploymentState, string> = {
  Pending: 'default',
  Downloading: 'processing',
  Starting: 'processing',
  Running: 'success',
  Degraded: 'warning',
  Failed: 'error',
  Stopped: 'default',
  Deleting: 'default',
};

export function StateTag({ state }: { state: DeploymentState }) {
  const { t } = useI18n();
  const key = `deploy.state.${state}` as MessageKey;
  return (
    <Tag color={colours[state] ?? 'default'} data-testid="deployment-state" data-state={state}>
      {t(key)}
    </Tag>
  );
}

// States from which the deployment changes by itself: worth polling.
export function settling(state: DeploymentState): boolean {
  return state === 'Pending' || state === 'Downloading' || state === 'Starting' || state === 'Deleting' || state === 'Degraded';
}

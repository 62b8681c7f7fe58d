// Stop, start or restart a deployment (the replicas follow; the state shows it).
import { api } from '../../api/client';
import type { Deployment, DeploymentDetail } from '../../api/types';

export type DeploymentAction = 'stop' | 'start' | 'restart';

export function runAction(d: Deployment, action: DeploymentAction): Promise<DeploymentDetail> {
  return api<DeploymentDetail>(`/deployments/${encodeURIComponent(d.id)}/actions`, { method: 'POST', body: { action } });
}

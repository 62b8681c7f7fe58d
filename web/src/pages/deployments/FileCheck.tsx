// The outcome of the model file check (the cluster looks for the files
// before starting a replica, DESIGN.md §7), read from the deployment's
// reason and replicas.
import { Tag } from 'antd';
import type { DeploymentDetail } from '../../api/types';
import { useI18n } from '../../i18n';

type Outcome = 'passed' | 'failed' | 'waiting';

export function fileCheckOutcome(d: DeploymentDetail): Outcome {
  const failed = [d.reason, ...d.replica_status.map((r) => r.reason)].some((r) => /model file check/i.test(r ?? ''));
  if (failed) return 'failed';
  if (d.replica_status.some((r) => r.ready || r.started_at > 0)) return 'passed';
  return 'waiting';
}

export function FileCheck({ d }: { d: DeploymentDetail }) {
  const { t } = useI18n();
  const outcome = fileCheckOutcome(d);
  const colour = outcome === 'passed' ? 'success' : outcome === 'failed' ? 'error' : 'default';
  const label = outcome === 'passed' ? t('deploy.fileCheckPassed') : outcome === 'failed' ? t('deploy.fileCheckFailed') : t('deploy.fileCheckWaiting');
  return (
    <Tag color={colour} data-testid="file-check" data-outcome={outcome}>
      {label}
    </Tag>
  );
}

// Sets the number of replicas; the server refuses what the cluster cannot hold.
import { useEffect, useState } from 'react';
import { App, InputNumber, Modal, Typography } from 'antd';
import { api } from '../../api/client';
import type { Deployment } from '../../api/types';
import { useI18n } from '../../i18n';

export const MAX_REPLICAS = 64;

interface Props {
  deployment: Deployment | null;
  onClose: () => void;
  onScaled: () => void;
}

export function ScaleDeployment({ deployment, onClose, onScaled }: Props) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [replicas, setReplicas] = useState(1);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (deployment) setReplicas(deployment.replicas);
  }, [deployment]);
  const scale = async () => {
    if (!deployment) return;
    setBusy(true);
    try {
      await api(`/deployments/${encodeURIComponent(deployment.id)}/scale`, { method: 'POST', body: { replicas } });
      message.success(t('deploy.scaled', { name: deployment.name, n: replicas }));
      onScaled();
    } catch (e) {
      message.error((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={t('deploy.scaleTitle', { name: deployment?.name ?? '' })} open={!!deployment} onCancel={onClose} onOk={() => void scale()} okText={t('common.ok')} cancelText={t('common.cancel')} okButtonProps={{ loading: busy }}>
      <Typography.Paragraph type="secondary">{t('deploy.scaleHelp')}</Typography.Paragraph>
      <InputNumber min={0} max={MAX_REPLICAS} precision={0} value={replicas} onChange={(v) => setReplicas(v ?? 0)} aria-label={t('deploy.replicas')} data-testid="scale-replicas" />
    </Modal>
  );
}

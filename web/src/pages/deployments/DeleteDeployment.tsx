// Deleting a service stops it for every application at once, so the user
// types its name to confirm.
import { useState } from 'react';
import { Alert, App, Input, Modal, Typography } from 'antd';
import { api } from '../../api/client';
import type { Deployment } from '../../api/types';
import { useI18n } from '../../i18n';

interface Props {
  deployment: Deployment | null;
  onClose: () => void;
  onDeleted: () => void;
}

export function DeleteDeployment({ deployment, onClose, onDeleted }: Props) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const close = () => {
    setTyped('');
    onClose();
  };
  const remove = async () => {
    if (!deployment || typed !== deployment.name) return;
    setBusy(true);
    try {
      await api(`/deployments/${encodeURIComponent(deployment.id)}`, { method: 'DELETE' });
      message.success(t('deploy.deleted', { name: deployment.name }));
      setTyped('');
      onDeleted();
    } catch (e) {
      message.error((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      title={t('deploy.deleteTitle')}
      open={!!deployment}
      onCancel={close}
      onOk={() => void remove()}
      okText={t('common.delete')}
      cancelText={t('common.cancel')}
      okButtonProps={{ danger: true, disabled: typed !== deployment?.name, loading: busy, ...({ 'data-testid': 'delete-confirm' } as Record<`data-${string}`, string>) }}
      destroyOnClose
    >
      <Alert type="warning" showIcon message={t('deploy.deleteWarning', { access: deployment?.access_name ?? '' })} style={{ marginBottom: 12 }} />
      <Typography.Paragraph>
        {t('deploy.deleteType')} <Typography.Text code>{deployment?.name}</Typography.Text>
      </Typography.Paragraph>
      <Input value={typed} onChange={(e) => setTyped(e.target.value)} aria-label={t('deploy.deleteTypeLabel')} data-testid="delete-name" autoComplete="off" />
    </Modal>
  );
}

// A JSON text editor in a dialog, for resources with many fields
// (templates): the server's strict decoder explains any mistake.
import { useEffect, useState } from 'react';
import { Alert, Input, Modal } from 'antd';
import { useI18n } from '../../i18n';

export function JsonEditor({ title, value, open, onClose, onSave }: { title: string; value: unknown; open: boolean; onClose: () => void; onSave: (v: unknown) => Promise<void> }) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  useEffect(() => {
    if (open) {
      setText(JSON.stringify(value, null, 2));
      setError('');
    }
  }, [open, value]);
  const save = async () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      setError(t('json.invalid', { error: (e as Error).message }));
      return;
    }
    try {
      await onSave(parsed);
      onClose();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Modal title={title} open={open} onCancel={onClose} onOk={() => void save()} okText={t('common.save')} cancelText={t('common.cancel')} width={720}>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 8 }} />}
      <Input.TextArea aria-label={title} value={text} onChange={(e) => setText(e.target.value)} autoSize={{ minRows: 12, maxRows: 28 }} style={{ fontFamily: 'monospace' }} />
    </Modal>
  );
}

// Batch import from a URL: a dry run lists what the file holds, the
// operator picks models from the list, and only those are imported.
import { useState } from 'react';
import { Alert, App, Button, Checkbox, Input, Modal, Space, Table, Tag, Typography } from 'antd';
import { api } from '../../api/client';
import type { ImportItemResult, ImportResult } from '../../api/types';
import { useI18n } from '../../i18n';

export function ImportModal({ open, onClose, onImported }: { open: boolean; onClose: () => void; onImported: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [url, setUrl] = useState('');
  const [preview, setPreview] = useState<ImportResult | null>(null);
  const [selected, setSelected] = useState<string[]>([]);
  const [publish, setPublish] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  const load = async () => {
    setBusy(true);
    setError('');
    try {
      const r = await api<ImportResult>('/models/import', { method: 'POST', query: { dry_run: true }, body: { url } });
      setPreview(r);
      setSelected(r.items.filter((i) => i.status === 'created').map((i) => i.id));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const run = async () => {
    setBusy(true);
    try {
      const r = await api<ImportResult>('/models/import', { method: 'POST', query: { ids: selected.join(','), publish }, body: { url } });
      message.success(t('import.done', { created: r.created, exists: r.exists, invalid: r.invalid }));
      onImported();
      setPreview(null);
      setUrl('');
      onClose();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      title={t('import.title')}
      open={open}
      onCancel={onClose}
      width={760}
      footer={
        <Space>
          <Checkbox checked={publish} onChange={(e) => setPublish(e.target.checked)}>
            {t('import.publish')}
          </Checkbox>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="primary" disabled={!preview || selected.length === 0} loading={busy} onClick={() => void run()} data-testid="import-run">
            {t('import.run', { n: selected.length })}
          </Button>
        </Space>
      }
    >
      <Typography.Paragraph type="secondary">{t('import.help')}</Typography.Paragraph>
      <Space.Compact style={{ width: '100%', marginBottom: 12 }}>
        <Input aria-label={t('import.url')} placeholder="https://.../index.yaml" value={url} onChange={(e) => setUrl(e.target.value)} data-testid="import-url" onPressEnter={() => void load()} />
        <Button onClick={() => void load()} loading={busy} disabled={!url} data-testid="import-preview">
          {t('import.preview')}
        </Button>
      </Space.Compact>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      {preview && (
        <Table<ImportItemResult>
          size="small"
          rowKey="id"
          data-testid="import-list"
          dataSource={preview.items}
          pagination={false}
          scroll={{ y: 360, x: true }}
          rowSelection={{
            selectedRowKeys: selected,
            onChange: (keys) => setSelected(keys as string[]),
            getCheckboxProps: (r) => ({ disabled: r.status !== 'created', name: r.id }),
          }}
          columns={[
            { title: t('models.id'), dataIndex: 'id' },
            {
              title: t('import.status'),
              dataIndex: 'status',
              render: (s: string) => <Tag color={s === 'created' ? 'green' : s === 'exists' ? 'default' : 'red'}>{t(`import.status.${s as 'created' | 'exists' | 'invalid'}`)}</Tag>,
            },
            { title: t('import.templates'), dataIndex: 'templates' },
            { title: t('import.notes'), render: (_, r) => [r.reason, ...r.warnings].filter(Boolean).join('; ') },
          ]}
        />
      )}
    </Modal>
  );
}

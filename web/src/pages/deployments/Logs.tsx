// The tail of one replica's log, refreshed on demand.
import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, Select, Space } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import { apiFetch } from '../../api/client';
import type { DeploymentDetail } from '../../api/types';
import { useI18n } from '../../i18n';

const TAIL_BYTES = 64 * 1024;

export function Logs({ d }: { d: DeploymentDetail }) {
  const { t } = useI18n();
  const [replica, setReplica] = useState(0);
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState('');
  const load = useCallback(() => {
    apiFetch(`/deployments/${encodeURIComponent(d.id)}/logs`, { query: { replica, tail_bytes: TAIL_BYTES } })
      .then((r) => r.text())
      .then((body) => {
        setText(body);
        setError('');
      })
      .catch((e: Error) => {
        setText(null);
        setError(e.message);
      });
  }, [d.id, replica]);
  useEffect(load, [load]);
  const indexes = d.replica_status.length > 0 ? d.replica_status.map((r) => r.index) : [0];
  return (
    <div>
      <Space style={{ marginBottom: 12 }} wrap>
        <Select
          value={replica}
          onChange={setReplica}
          aria-label={t('deploy.replica')}
          style={{ minWidth: 140 }}
          options={indexes.map((i) => ({ value: i, label: t('deploy.replicaN', { n: i }) }))}
        />
        <Button icon={<ReloadOutlined />} onClick={load} data-testid="logs-refresh">
          {t('deploy.refresh')}
        </Button>
      </Space>
      {error && <Alert type="info" showIcon message={error} />}
      {text !== null && (
        <pre data-testid="deployment-logs" tabIndex={0} style={{ background: '#1f1f1f', color: '#e8e8e8', padding: 12, borderRadius: 6, maxHeight: 480, overflow: 'auto', fontSize: 12, margin: 0 }}>
          {text || t('deploy.logsEmpty')}
        </pre>
      )}
    </div>
  );
}

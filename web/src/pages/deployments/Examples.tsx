// How applications call a service: the auth rule, the base URL and
// ready-made curl / Python / Node snippets from the server (which knows the
// URL it was reached at and the access name).
import { App, Button, Tabs, Typography } from 'antd';
import { CopyOutlined } from '@ant-design/icons';
import { Link } from 'react-router-dom';
import type { DeploymentDetail } from '../../api/types';
import { useI18n } from '../../i18n';

function CodeBlock({ code, lang }: { code: string; lang: string }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code);
      message.success(t('common.copied'));
    } catch {
      message.error(t('common.copyFailed'));
    }
  };
  return (
    <div style={{ position: 'relative' }}>
      <Button size="small" icon={<CopyOutlined />} onClick={() => void copy()} style={{ position: 'absolute', right: 8, top: 8 }} aria-label={t('common.copy')}>
        {t('common.copy')}
      </Button>
      <pre data-testid={`example-${lang}`} tabIndex={0} style={{ background: '#f6f8fa', padding: '36px 12px 12px', borderRadius: 6, overflowX: 'auto', margin: 0, fontSize: 13 }}>
        {code}
      </pre>
    </div>
  );
}

export function Examples({ d }: { d: DeploymentDetail }) {
  const { t } = useI18n();
  return (
    <div data-testid="deployment-examples">
      <Typography.Paragraph>
        {t('deploy.authHelp')} <Link to="/keys">{t('deploy.authKeysLink')}</Link>
      </Typography.Paragraph>
      <Typography.Paragraph>
        {t('deploy.baseUrl')}: <Typography.Text code copyable data-testid="example-base-url">{d.examples.base_url}</Typography.Text>
        <br />
        {t('deploy.modelParam')}: <Typography.Text code copyable>{d.access_name}</Typography.Text>
      </Typography.Paragraph>
      <Tabs
        items={[
          { key: 'curl', label: 'curl', children: <CodeBlock code={d.examples.curl} lang="curl" /> },
          { key: 'python', label: 'Python', children: <CodeBlock code={d.examples.python} lang="python" /> },
          { key: 'node', label: 'Node.js', children: <CodeBlock code={d.examples.node} lang="node" /> },
        ]}
      />
    </div>
  );
}

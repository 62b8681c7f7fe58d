// Runtime templates (how to start vllm, hydra-engine, ...) and deployment
// templates (how a model may be deployed), edited as JSON.
import { Tabs, Typography } from 'antd';
import { useI18n } from '../../i18n';
import { ResourceTable, type Row } from './ResourceTable';

const newRuntime = { name: 'my-runtime', display_name: { enUS: 'My runtime', zhCN: '我的运行时' }, command: '{{.RUN_TIME}}', args: ['--port', '{{.MODEL_PORT}}'], env: {}, images: {}, executable: '' };
const newDeployment = {
  model_id: '',
  name: 'cpu',
  resources: { cpu: 4, memory: 8, gpuType: 'cpu', gpuCount: 0, perGPUMemoryGB: 0 },
  runtime: 'hydra-engine',
  runtime_version: '',
  max_model_len: 4096,
  custom_args: [],
  env: {},
  distributed: { tp: 1, pp: 1, nodes: 1 },
};

interface Resources {
  cpu: number;
  memory: number;
  gpuType: string;
  gpuCount: number;
}

export default function AdminTemplatesPage() {
  const { t, local } = useI18n();
  return (
    <div>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        {t('templates.title')}
      </Typography.Title>
      <Tabs
        items={[
          {
            key: 'runtime',
            label: t('templates.runtime'),
            children: (
              <ResourceTable
                path="/runtime-templates"
                template={newRuntime}
                idOf={(r: Row) => String(r.name)}
                readOnly={['name']}
                columns={[
                  { title: t('templates.name'), render: (r) => String(r.name) },
                  { title: t('models.displayName'), render: (r) => local(r.display_name as { enUS?: string }) },
                  { title: t('templates.command'), render: (r) => <Typography.Text code>{String(r.command ?? '')}</Typography.Text> },
                ]}
              />
            ),
          },
          {
            key: 'deployment',
            label: t('templates.deployment'),
            children: (
              <ResourceTable
                path="/deployment-templates"
                template={newDeployment}
                readOnly={['model_id']}
                columns={[
                  { title: t('maas.model'), render: (r) => String(r.model_id) },
                  { title: t('templates.name'), render: (r) => String(r.name) },
                  { title: t('details.runtime'), render: (r) => String(r.runtime) },
                  {
                    title: t('templates.resources'),
                    render: (r) => {
                      const res = r.resources as Resources | undefined;
                      return res ? `${res.cpu} CPU · ${res.memory} GB · ${res.gpuCount} × ${res.gpuType}` : '';
                    },
                  },
                ]}
              />
            ),
          },
        ]}
      />
    </div>
  );
}

// The details drawer of the model square: description in the chosen
// language, facts, links and suggested deployments; try and deploy.
import { Button, Descriptions, Drawer, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { useNavigate } from 'react-router-dom';
import type { MaasModel, Model, Provider } from '../api/types';
import { useI18n } from '../i18n';
import { useFeatures } from '../api/features';
import { ProviderIcon } from '../components/ProviderIcon';
import { knownTags, tagColours } from '../components/tags';

interface Props {
  model?: Model;
  provider?: Provider;
  route?: MaasModel;
  onClose: () => void;
}

interface Suggested {
  runtime?: string;
  versionRequired?: string;
  resourceRequirements?: { cpu?: number; memory?: number; gpuType?: string; gpuCount?: number; perGPUMemoryGB?: number };
}

export function ModelDetails({ model, provider, route, onClose }: Props) {
  const { t, local } = useI18n();
  const navigate = useNavigate();
  const features = useFeatures();
  const deployments = (model?.deployments ?? []) as Suggested[];
  return (
    <Drawer open={!!model} onClose={onClose} width={Math.min(640, window.innerWidth)} title={model?.display_name} destroyOnClose>
      {model && (
        <div data-testid="model-details">
          <Space align="start" style={{ marginBottom: 16 }}>
            <ProviderIcon src={model.icon || provider?.icon} name={local(provider?.name) || model.display_name} size={56} />
            <div>
              <Typography.Title level={3} style={{ margin: 0 }}>
                {model.display_name}
              </Typography.Title>
              <Typography.Text type="secondary">{model.id}</Typography.Text>
              <div style={{ marginTop: 6 }}>
                {model.tags.map((tag) => (
                  <Tag key={tag} color={tagColours[tag]}>
                    {knownTags[tag] ? t(knownTags[tag]) : tag}
                  </Tag>
                ))}
              </div>
            </div>
          </Space>
          <Typography.Paragraph data-testid="details-description">{local(model.description)}</Typography.Paragraph>
          <Space style={{ marginBottom: 16 }}>
            <Tooltip title={route ? '' : t('square.noService')}>
              <Button type="primary" disabled={!route} onClick={() => route && navigate(`${model.tags.includes('TEXT_TO_IMAGE') ? '/images' : '/playground'}?model=${encodeURIComponent(route.access_name)}`)}>
                {t('square.try')}
              </Button>
            </Tooltip>
            <Tooltip title={features?.deployments ? '' : t('square.deployUnavailable')}>
              <Button disabled={!features?.deployments} onClick={() => navigate(`/deployments/new?model=${encodeURIComponent(model.id)}`)}>
                {t('square.deploy')}
              </Button>
            </Tooltip>
          </Space>
          <Descriptions column={1} size="small" bordered>
            <Descriptions.Item label={t('details.provider')}>{local(provider?.name) || model.provider_id || '—'}</Descriptions.Item>
            <Descriptions.Item label={t('details.context')}>{model.config.maxTokens ? model.config.maxTokens.toLocaleString() : '—'}</Descriptions.Item>
            <Descriptions.Item label={t('details.access')}>{route ? <Typography.Text code>{route.access_name}</Typography.Text> : '—'}</Descriptions.Item>
            <Descriptions.Item label="Hugging Face">{model.sources.huggingface || '—'}</Descriptions.Item>
            <Descriptions.Item label="ModelScope">{model.sources.modelscope || '—'}</Descriptions.Item>
            <Descriptions.Item label={t('details.price')}>
              {t('details.priceValue', { input: model.price_input, output: model.price_output })}
            </Descriptions.Item>
            {model.links.length > 0 && (
              <Descriptions.Item label={t('details.links')}>
                <Space direction="vertical" size={0}>
                  {model.links.map((l) => (
                    <a key={l.url} href={l.url} target="_blank" rel="noreferrer">
                      {l.description || l.url}
                    </a>
                  ))}
                </Space>
              </Descriptions.Item>
            )}
          </Descriptions>
          {deployments.length > 0 && (
            <>
              <Typography.Title level={4} style={{ marginTop: 24 }}>
                {t('details.suggested')}
              </Typography.Title>
              <Table<Suggested>
                size="small"
                rowKey={(_, i) => String(i)}
                pagination={false}
                scroll={{ x: true }}
                dataSource={deployments}
                columns={[
                  { title: t('details.runtime'), render: (_, d) => `${d.runtime ?? ''} ${d.versionRequired ?? ''}` },
                  { title: 'CPU', render: (_, d) => d.resourceRequirements?.cpu ?? '' },
                  { title: t('details.memory'), render: (_, d) => (d.resourceRequirements?.memory ? `${d.resourceRequirements.memory} GB` : '') },
                  { title: 'GPU', render: (_, d) => `${d.resourceRequirements?.gpuCount ?? 0} × ${d.resourceRequirements?.gpuType ?? ''}` },
                ]}
              />
            </>
          )}
        </div>
      )}
    </Drawer>
  );
}

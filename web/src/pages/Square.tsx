// 模型广场: published models as cards, filtered on the server by provider,
// type and keyword; a details drawer with try and deploy.
import { useEffect, useMemo, useState } from 'react';
import { Alert, Button, Card, Col, Empty, Input, Row, Select, Space, Spin, Tag, Tooltip, Typography } from 'antd';
import { useNavigate, useParams } from 'react-router-dom';
import { api, listAll } from '../api/client';
import type { MaasModel, Model, Page, Provider } from '../api/types';
import { useI18n } from '../i18n';
import { ProviderIcon } from '../components/ProviderIcon';
import { knownTags, tagColours } from '../components/tags';
import { ModelDetails } from './ModelDetails';

export default function SquarePage() {
  const { t, local } = useI18n();
  const navigate = useNavigate();
  const { id: openId } = useParams();
  const [providers, setProviders] = useState<Provider[]>([]);
  const [routes, setRoutes] = useState<MaasModel[]>([]);
  const [models, setModels] = useState<Model[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState('');
  const [providerFilter, setProviderFilter] = useState<string[]>([]);
  const [tagFilter, setTagFilter] = useState<string[]>([]);
  const [keyword, setKeyword] = useState('');

  useEffect(() => {
    void listAll<Provider>('/providers').then(setProviders).catch(() => setProviders([]));
    void listAll<MaasModel>('/maas-models').then(setRoutes).catch(() => setRoutes([]));
  }, []);

  useEffect(() => {
    let live = true;
    setError('');
    api<Page<Model>>('/models', {
      query: { provider: providerFilter.join(','), tag: tagFilter.join(','), keyword, page_size: 200 },
    })
      .then((p) => {
        if (!live) return;
        setModels(p.items);
        setTotal(p.total);
      })
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [providerFilter, tagFilter, keyword]);

  const providerById = useMemo(() => new Map(providers.map((p) => [p.id, p])), [providers]);
  const routeFor = (m: Model) => routes.find((r) => r.model_id === m.id && r.enabled);
  const tagOptions = Object.keys(knownTags).map((k) => ({ value: k, label: t(knownTags[k]) }));
  const opened = openId ? models?.find((m) => m.id === openId) : undefined;

  return (
    <div>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        {t('square.title')}
      </Typography.Title>
      <Space wrap style={{ marginBottom: 16 }}>
        <Input.Search
          aria-label={t('square.search')}
          placeholder={t('square.search')}
          allowClear
          onSearch={setKeyword}
          style={{ width: 240 }}
          data-testid="square-search"
        />
        <Select
          mode="multiple"
          allowClear
          aria-label={t('square.provider')}
          placeholder={t('square.provider')}
          value={providerFilter}
          onChange={setProviderFilter}
          style={{ minWidth: 200 }}
          data-testid="filter-provider"
          options={providers.map((p) => ({ value: p.id, label: local(p.name) || p.id }))}
        />
        <Select
          mode="multiple"
          allowClear
          aria-label={t('square.type')}
          placeholder={t('square.type')}
          value={tagFilter}
          onChange={setTagFilter}
          style={{ minWidth: 200 }}
          data-testid="filter-type"
          options={tagOptions}
        />
        <Typography.Text type="secondary" data-testid="square-count">
          {t('square.count', { n: total })}
        </Typography.Text>
      </Space>
      {error && <Alert type="error" showIcon message={error} />}
      {models === null && !error && <Spin />}
      {models?.length === 0 && <Empty description={t('square.empty')} />}
      <Row gutter={[16, 16]}>
        {models?.map((m) => {
          const provider = providerById.get(m.provider_id);
          const route = routeFor(m);
          return (
            <Col key={m.id} xs={24} md={12} xl={8} xxl={6}>
              <Card
                hoverable
                data-testid="model-card"
                data-model={m.id}
                onClick={() => navigate(`/square/${encodeURIComponent(m.id)}`)}
                actions={[
                  <Button key="details" type="link" size="small">
                    {t('square.details')}
                  </Button>,
                  <Tooltip key="try" title={route ? '' : t('square.noService')}>
                    <Button
                      type="link"
                      size="small"
                      disabled={!route}
                      onClick={(e) => {
                        e.stopPropagation();
                        if (route) navigate(`/playground?model=${encodeURIComponent(route.access_name)}`);
                      }}
                    >
                      {t('square.try')}
                    </Button>
                  </Tooltip>,
                ]}
              >
                <Card.Meta
                  avatar={<ProviderIcon src={m.icon || provider?.icon} name={local(provider?.name) || m.display_name} />}
                  title={<span data-testid="model-name">{m.display_name || m.id}</span>}
                  description={
                    <div>
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {local(provider?.name) || m.provider_id || t('square.noProvider')}
                      </Typography.Text>
                      <div style={{ margin: '6px 0' }}>
                        {m.tags.map((tag) => (
                          <Tag key={tag} color={tagColours[tag]}>
                            {knownTags[tag] ? t(knownTags[tag]) : tag}
                          </Tag>
                        ))}
                      </div>
                      <Typography.Paragraph ellipsis={{ rows: 2 }} style={{ marginBottom: 0, color: '#595959' }} data-testid="model-description">
                        {local(m.description)}
                      </Typography.Paragraph>
                    </div>
                  }
                />
              </Card>
            </Col>
          );
        })}
      </Row>
      <ModelDetails
        model={opened}
        provider={opened ? providerById.get(opened.provider_id) : undefined}
        route={opened ? routeFor(opened) : undefined}
        onClose={() => navigate('/square')}
      />
    </div>
  );
}

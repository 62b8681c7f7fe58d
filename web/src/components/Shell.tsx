// Page frame: a side menu (collapses to a drawer-like zero width on phones),
// a header with the user menu, and the page.
import { useState, type ReactNode } from 'react';
import { Layout, Menu, Typography } from 'antd';
import {
  ApiOutlined,
  AppstoreOutlined,
  AuditOutlined,
  BarChartOutlined,
  CloudServerOutlined,
  ClusterOutlined,
  DashboardOutlined,
  DatabaseOutlined,
  KeyOutlined,
  MessageOutlined,
  PictureOutlined,
  ProfileOutlined,
  RocketOutlined,
  SafetyOutlined,
  ShopOutlined,
  TeamOutlined,
  UserOutlined,
} from '@ant-design/icons';
import { useLocation, useNavigate } from 'react-router-dom';
import { useI18n } from '../i18n';
import { useSession } from '../session/session';
import { useFeatures } from '../api/features';
import { UserMenu } from './UserMenu';

export function Shell({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const { isAdmin } = useSession();
  const features = useFeatures();
  const navigate = useNavigate();
  const location = useLocation();
  const [collapsed, setCollapsed] = useState(false);
  const [narrow, setNarrow] = useState(false);

  const items = [
    { key: '/square', icon: <AppstoreOutlined />, label: t('nav.square') },
    { key: '/playground', icon: <MessageOutlined />, label: t('nav.playground') },
    { key: '/images', icon: <PictureOutlined />, label: t('nav.images') },
    ...(features?.deployments ? [{ key: '/deployments', icon: <RocketOutlined />, label: t('nav.deployments') }] : []),
    { key: '/keys', icon: <KeyOutlined />, label: t('nav.keys') },
    ...(features?.usage ? [{ key: '/usage', icon: <BarChartOutlined />, label: t('nav.usage') }] : []),
    ...(isAdmin
      ? [
          {
            key: 'admin',
            type: 'group' as const,
            label: t('nav.admin'),
            children: [
              { key: '/admin/models', icon: <DatabaseOutlined />, label: t('nav.adminModels') },
              { key: '/admin/maas', icon: <ApiOutlined />, label: t('nav.adminMaas') },
              { key: '/admin/providers', icon: <ShopOutlined />, label: t('nav.adminProviders') },
              { key: '/admin/templates', icon: <CloudServerOutlined />, label: t('nav.adminTemplates') },
              ...(features?.clusters ? [{ key: '/admin/clusters', icon: <ClusterOutlined />, label: t('nav.adminClusters') }] : []),
              { key: '/admin/users', icon: <UserOutlined />, label: t('nav.adminUsers') },
              { key: '/admin/workspaces', icon: <TeamOutlined />, label: t('nav.adminWorkspaces') },
              ...(features?.limits ? [{ key: '/admin/limits', icon: <DashboardOutlined />, label: t('nav.adminLimits') }] : []),
              ...(features?.moderation ? [{ key: '/admin/moderation', icon: <SafetyOutlined />, label: t('nav.adminModeration') }] : []),
              { key: '/admin/audit', icon: <AuditOutlined />, label: t('nav.adminAudit') },
            ],
          },
        ]
      : []),
  ];
  const selected = '/' + location.pathname.split('/').filter(Boolean).slice(0, location.pathname.startsWith('/admin') ? 2 : 1).join('/');

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider
        breakpoint="lg"
        collapsedWidth={narrow ? 0 : 64}
        collapsible
        collapsed={collapsed}
        onCollapse={setCollapsed}
        onBreakpoint={(broken) => {
          setNarrow(broken);
          setCollapsed(broken);
        }}
        theme="light"
        width={220}
        // The menu scrolls by itself, so a long one never makes the page taller.
        style={{ borderRight: '1px solid #f0f0f0', height: '100vh', position: 'sticky', top: 0, overflowY: 'auto' }}
      >
        <div style={{ display: 'flex', alignItems: 'center', gap: 8, padding: '16px 20px' }}>
          <ProfileOutlined style={{ fontSize: 20, color: '#1668dc' }} />
          {!collapsed && (
            <Typography.Text strong style={{ fontSize: 18 }}>
              Hydra
            </Typography.Text>
          )}
        </div>
        <Menu
          mode="inline"
          selectedKeys={[selected]}
          items={items}
          onClick={(e) => {
            navigate(e.key);
            if (narrow) setCollapsed(true);
          }}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{
            background: '#fff',
            padding: '0 16px',
            display: 'flex',
            justifyContent: 'flex-end',
            alignItems: 'center',
            borderBottom: '1px solid #f0f0f0',
          }}
        >
          <UserMenu />
        </Layout.Header>
        <Layout.Content style={{ padding: narrow ? 12 : 24, minWidth: 0 }}>
          <main>{children}</main>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}

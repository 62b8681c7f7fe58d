// The shell: Ant Design's locale and theme, the login gate, the side menu
// and the pages, each loaded on first visit.
import { lazy, Suspense } from 'react';
import { App as AntApp, ConfigProvider, Spin } from 'antd';
import antdEn from 'antd/locale/en_US';
import antdZh from 'antd/locale/zh_CN';
import { Navigate, Route, Routes } from 'react-router-dom';
import { useI18n } from './i18n';
import { useSession } from './session/session';
import { LoginPage } from './pages/Login';
import { Shell } from './components/Shell';

// The square is the first page most people see: fetch it while the session loads.
const loadSquare = import('./pages/Square');
const SquarePage = lazy(() => loadSquare);
const PlaygroundPage = lazy(() => import('./pages/Playground'));
const ApiKeysPage = lazy(() => import('./pages/ApiKeys'));
const UsagePage = lazy(() => import('./pages/Usage'));
const AdminModelsPage = lazy(() => import('./pages/admin/Models'));
const AdminMaasPage = lazy(() => import('./pages/admin/Maas'));
const AdminTemplatesPage = lazy(() => import('./pages/admin/Templates'));
const AdminUsersPage = lazy(() => import('./pages/admin/Users'));
const AdminWorkspacesPage = lazy(() => import('./pages/admin/Workspaces'));
const AdminAuditPage = lazy(() => import('./pages/admin/Audit'));
const AdminLimitsPage = lazy(() => import('./pages/admin/Limits'));
const AdminModerationPage = lazy(() => import('./pages/admin/Moderation'));
const AdminProvidersPage = lazy(() => import('./pages/admin/Providers'));
const AdminClustersPage = lazy(() => import('./pages/admin/Clusters'));
const ImagesPage = lazy(() => import('./pages/Images'));
const DeploymentsPage = lazy(() => import('./pages/deployments/Deployments'));
const CreateDeploymentPage = lazy(() => import('./pages/deployments/CreateDeployment'));
const DeploymentDetailsPage = lazy(() => import('./pages/deployments/DeploymentDetails'));

function Loading() {
  return (
    <div style={{ display: 'flex', justifyContent: 'center', padding: 64 }}>
      <Spin />
    </div>
  );
}

function Pages() {
  const { me, loading, isAdmin } = useSession();
  if (loading) return <Loading />;
  if (!me) return <LoginPage />;
  return (
    <Shell>
      <Suspense fallback={<Loading />}>
        <Routes>
          <Route path="/" element={<Navigate to="/square" replace />} />
          <Route path="/login" element={<Navigate to="/square" replace />} />
          <Route path="/square" element={<SquarePage />} />
          <Route path="/square/:id" element={<SquarePage />} />
          <Route path="/playground" element={<PlaygroundPage />} />
          <Route path="/keys" element={<ApiKeysPage />} />
          <Route path="/usage" element={<UsagePage />} />
          <Route path="/images" element={<ImagesPage />} />
          <Route path="/deployments" element={<DeploymentsPage />} />
          <Route path="/deployments/new" element={<CreateDeploymentPage />} />
          <Route path="/deployments/:id" element={<DeploymentDetailsPage />} />
          {isAdmin && (
            <>
              <Route path="/admin/models" element={<AdminModelsPage />} />
              <Route path="/admin/maas" element={<AdminMaasPage />} />
              <Route path="/admin/templates" element={<AdminTemplatesPage />} />
              <Route path="/admin/users" element={<AdminUsersPage />} />
              <Route path="/admin/workspaces" element={<AdminWorkspacesPage />} />
              <Route path="/admin/audit" element={<AdminAuditPage />} />
              <Route path="/admin/limits" element={<AdminLimitsPage />} />
              <Route path="/admin/moderation" element={<AdminModerationPage />} />
              <Route path="/admin/providers" element={<AdminProvidersPage />} />
              <Route path="/admin/clusters" element={<AdminClustersPage />} />
            </>
          )}
          <Route path="*" element={<Navigate to="/square" replace />} />
        </Routes>
      </Suspense>
    </Shell>
  );
}

// People who ask their system for less motion get no animations (and an
// automated browser that asks for it gets dialogs that close at once).
const reducedMotion =
  typeof window !== 'undefined' && window.matchMedia?.('(prefers-reduced-motion: reduce)').matches === true;

export function App() {
  const { lang } = useI18n();
  return (
    <ConfigProvider
      locale={lang === 'zh-CN' ? antdZh : antdEn}
      theme={{ token: { colorPrimary: '#1668dc', motion: !reducedMotion } }}
    >
      <AntApp>
        <Pages />
      </AntApp>
    </ConfigProvider>
  );
}

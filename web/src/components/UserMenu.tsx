// Header controls: workspace switcher, language switch, and the user's menu.
import { Button, Dropdown, Select, Space } from 'antd';
import { GlobalOutlined, LogoutOutlined, UserOutlined } from '@ant-design/icons';
import { useI18n, type Lang } from '../i18n';
import { useSession } from '../session/session';

export function UserMenu() {
  const { t, lang, setLang } = useI18n();
  const { me, workspaceId, switchWorkspace, logout } = useSession();
  if (!me) return null;
  return (
    <Space size="small" wrap={false}>
      <Select
        aria-label={t('user.workspace')}
        data-testid="workspace-switcher"
        size="small"
        value={workspaceId}
        style={{ minWidth: 120, maxWidth: 200 }}
        onChange={switchWorkspace}
        options={me.workspaces.map((w) => ({
          value: w.id,
          label: w.personal ? t('user.personalWorkspace') : w.name || w.slug,
        }))}
      />
      <Select<Lang>
        aria-label={t('user.language')}
        data-testid="language-switch"
        size="small"
        value={lang}
        suffixIcon={<GlobalOutlined />}
        onChange={setLang}
        options={[
          { value: 'zh-CN', label: '简体中文' },
          { value: 'en-US', label: 'English' },
        ]}
        style={{ width: 104 }}
      />
      <Dropdown
        menu={{
          items: [
            { key: 'role', label: me.user.role === 'admin' ? t('user.roleAdmin') : t('user.roleUser'), disabled: true },
            { key: 'logout', icon: <LogoutOutlined />, label: t('user.logout'), onClick: () => void logout() },
          ],
        }}
      >
        <Button size="small" icon={<UserOutlined />} data-testid="user-menu">
          {me.user.display_name || me.user.name}
        </Button>
      </Dropdown>
    </Space>
  );
}

// 调用监控. Shown in the menu only when the server offers /api/v1/usage.
import { Empty, Typography } from 'antd';
import { useI18n } from '../i18n';
import { useFeatures } from '../api/features';

export default function UsagePage() {
  const { t } = useI18n();
  const features = useFeatures();
  return (
    <div>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        {t('nav.usage')}
      </Typography.Title>
      {features && !features.usage && <Empty description={t('usage.unavailable')} />}
    </div>
  );
}

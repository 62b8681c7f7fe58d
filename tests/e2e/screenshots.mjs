// Takes the screenshots in docs/screenshots from a real server with the
// ModelHub test data: `node tests/e2e/screenshots.mjs` after a build.
import fs from 'node:fs';
import path from 'node:path';
import { ADMIN_PASSWORD, apiCall, apiLogin, launchBrowser, login, newContext, root, startHydra, startModelHub, startUpstream } from './harness.mjs';

const out = path.join(root, 'docs/screenshots');
fs.mkdirSync(out, { recursive: true });
const [hydra, upstream, hub] = await Promise.all([startHydra(), startUpstream(), startModelHub()]);
const browser = await launchBrowser();
try {
  const token = await apiLogin(hydra.url, 'admin', ADMIN_PASSWORD);
  await apiCall(hydra.url, token, 'POST', '/models/import?publish=true', { url: hub.url });
  for (const [id, model, up] of [
    ['qwen2-0.5b', 'qwen2-0.5b-instruct', 'tiny-a'],
    ['deepseek-1.5b', 'deepseek-r1-distill-qwen-1.5b', 'tiny-b'],
  ]) {
    await apiCall(hydra.url, token, 'POST', '/maas-models', { id, model_id: model, endpoints: [{ base_url: upstream.url, model: up }], enabled: true });
  }
  const shoot = async (page, name) => {
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(out, `${name}.png`) });
  };
  for (const lang of ['en-US', 'zh-CN']) {
    const context = await newContext(browser, { width: 1280, height: 800 }, false);
    await context.addInitScript((l) => localStorage.setItem('hydra.lang', l), lang);
    const page = await context.newPage();
    const suffix = lang === 'en-US' ? '' : '-zh';
    await page.goto(`${hydra.url}/`);
    if (lang === 'en-US') await shoot(page, 'login');
    await login(page, hydra.url, 'admin', ADMIN_PASSWORD).catch(async () => {
      await page.getByLabel('用户名').fill('admin');
      await page.getByLabel('密码', { exact: true }).fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: /登\s*录/ }).click();
      await page.getByTestId('user-menu').waitFor();
    });
    await page.goto(`${hydra.url}/square`);
    await page.getByTestId('model-card').first().waitFor();
    await shoot(page, `square${suffix}`);
    if (lang !== 'en-US') {
      await context.close();
      continue;
    }
    await page.goto(`${hydra.url}/square/qwen2-0.5b-instruct`);
    await page.getByTestId('model-details').waitFor();
    await shoot(page, 'model-details');
    await page.goto(`${hydra.url}/playground?model=public%2Fqwen2-0.5b`);
    await page.getByTestId('add-panel').click();
    await page.getByTestId('panel-1-model').click();
    await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: 'public/deepseek-1.5b' }).click();
    await page.getByTestId('play-input').fill('Hello there');
    await page.getByTestId('play-send').click();
    await page.getByTestId('panel-1').getByTestId('answer-stats').waitFor();
    await page.getByTestId('panel-0').getByTestId('answer-stats').waitFor();
    await shoot(page, 'playground');
    await page.goto(`${hydra.url}/keys`);
    await page.getByTestId('masked-key').first().waitFor();
    await shoot(page, 'api-keys');
    await page.goto(`${hydra.url}/admin/models`);
    await page.getByTestId('models-table').locator('tr.ant-table-row').first().waitFor();
    await shoot(page, 'admin-models');
    await page.goto(`${hydra.url}/admin/audit`);
    await page.getByTestId('audit-table').locator('tr.ant-table-row').first().waitFor();
    await shoot(page, 'audit-log');
    await context.close();
  }
  console.log(`screenshots in ${out}`);
} finally {
  await browser.close();
  await Promise.all([hydra.stop(), upstream.stop(), hub.stop()]);
}

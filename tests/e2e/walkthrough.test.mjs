// The path of a new installation, in the browser: the administrator imports
// the ModelHub files from a URL (picking from the preview), publishes two
// models, routes them to an upstream as MaaS models and creates a user; the
// user filters the model square, reads a model's details in both languages,
// creates an API key (shown once, masked after a reload), chats with both
// models side by side (streamed, token counts), changes the temperature and
// clears the context; the administrator finds those actions in the audit log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_PASSWORD, apiCall, apiLogin, launchBrowser, login, newContext, startHydra, startModelHub, startUpstream, watchErrors } from './harness.mjs';

let hydra, upstream, hub, browser;
const shots = []; // pages to photograph when the test fails

before(async () => {
  [hydra, upstream, hub] = await Promise.all([startHydra(), startUpstream(), startModelHub()]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await Promise.all([hydra?.stop(), upstream?.stop(), hub?.stop()]);
});

// Chooses an option of an Ant Design select, typing to narrow long
// (virtualised) lists where the select is searchable.
async function pick(page, select, text, { search = false, multi = false } = {}) {
  await select.click();
  if (search) await page.keyboard.type(text);
  const open = page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)');
  await open.locator('.ant-select-item-option', { hasText: text }).first().click();
  // Multiple selects stay open: close them so the next control is reachable.
  if (multi) await page.keyboard.press('Escape');
  await open.waitFor({ state: 'detached' }).catch(() => {});
  await page.waitForTimeout(300);
}

async function searchModels(page, text) {
  const box = page.getByPlaceholder('Search models');
  await box.fill(text);
  await box.press('Enter');
}

test('admin prepares models, a user finds, keys and chats with them, the audit log shows it all', { timeout: 240_000 }, async () => {
  try {
    await walkthrough();
  } catch (e) {
    for (const [name, page] of shots) {
      const file = path.join(os.tmpdir(), `hydra-e2e-walkthrough-${name}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      console.log(`screenshot of the ${name}'s page: ${file}`);
    }
    throw e;
  }
});

async function walkthrough() {
  // --- administrator
  const adminCtx = await newContext(browser);
  const admin = await adminCtx.newPage();
  shots.push(['admin', admin]);
  const adminErrors = watchErrors(admin);
  await login(admin, hydra.url, 'admin', ADMIN_PASSWORD);

  await admin.goto(`${hydra.url}/admin/models`);
  await admin.getByTestId('open-import').click();
  await admin.getByTestId('import-url').fill(hub.url);
  await admin.getByTestId('import-preview').click();
  const rows = admin.locator('[data-testid=import-list] tbody tr.ant-table-row');
  await rows.first().waitFor();
  assert.equal(await rows.count(), hub.count, 'the preview lists every model of the file');
  await admin.locator('tr[data-row-key="dzoo"] input[type=checkbox]').uncheck();
  await admin.getByTestId('import-run').click();
  await admin.getByText(`Imported ${hub.count - 1};`).waitFor();

  const adminToken = await apiLogin(hydra.url, 'admin', ADMIN_PASSWORD);
  const all = await apiCall(hydra.url, adminToken, 'GET', '/models?page_size=200');
  assert.equal(all.total, hub.count - 1, 'only the picked models were imported');
  assert.ok(!all.items.some((m) => m.id === 'dzoo'), 'the unpicked model stayed out');

  for (const id of ['qwen2-0.5b-instruct', 'deepseek-r1-distill-qwen-1.5b']) {
    await searchModels(admin, id);
    await admin.getByTestId(`publish-${id}`).click();
    await admin.getByText(`${id} is published`).waitFor();
  }
  const published = await apiCall(hydra.url, adminToken, 'GET', '/models?published=true');
  assert.deepEqual(published.items.map((m) => m.id).sort(), ['deepseek-r1-distill-qwen-1.5b', 'qwen2-0.5b-instruct']);

  await admin.goto(`${hydra.url}/admin/maas`);
  for (const [id, model, upstreamModel] of [
    ['qwen2-0.5b', 'qwen2-0.5b-instruct', 'tiny-a'],
    ['deepseek-1.5b', 'deepseek-r1-distill-qwen-1.5b', 'tiny-b'],
  ]) {
    await admin.getByTestId('create-maas').click();
    const dialog = admin.getByRole('dialog');
    await dialog.getByTestId('maas-id').fill(id);
    await pick(admin, dialog.getByTestId('maas-model'), model, { search: true });
    await dialog.getByTestId('maas-base-url').fill(upstream.url);
    await dialog.getByTestId('maas-upstream-model').fill(upstreamModel);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await admin.getByText(`public/${id}`).waitFor();
  }

  await admin.goto(`${hydra.url}/admin/users`);
  await admin.getByTestId('create-user').click();
  const userDialog = admin.getByRole('dialog');
  await userDialog.getByTestId('user-name').fill('alice');
  await userDialog.getByTestId('user-password').fill('alice-password');
  await userDialog.getByRole('button', { name: 'Create' }).click();
  await admin.getByText('Created the user alice').waitFor();

  // --- user
  const userCtx = await newContext(browser);
  const user = await userCtx.newPage();
  shots.push(['user', user]);
  const userErrors = watchErrors(user);
  await login(user, hydra.url, 'alice', 'alice-password');
  await user.goto(`${hydra.url}/square`);
  const cards = user.getByTestId('model-card');
  await user.getByText('2 models').waitFor();
  await pick(user, user.getByTestId('filter-provider'), 'Alibaba', { multi: true });
  await user.getByText('1 models').waitFor();
  assert.deepEqual(await cards.getAttribute('data-model'), 'qwen2-0.5b-instruct');
  await user.getByTestId('filter-provider').hover();
  await user.getByTestId('filter-provider').locator('.ant-select-clear').click();
  await user.getByText('2 models').waitFor();
  await pick(user, user.getByTestId('filter-type'), 'Text to image', { multi: true });
  await user.getByText('0 models').waitFor();
  await pick(user, user.getByTestId('filter-type'), 'Text generation', { multi: true });
  await user.getByText('2 models').waitFor();

  await user.locator('[data-model="qwen2-0.5b-instruct"]').click();
  const details = user.getByTestId('details-description');
  await details.waitFor();
  assert.match(await details.innerText(), /0\.5B parameter instruction-tuned model/);
  await user.keyboard.press('Escape'); // the drawer covers the header
  await details.waitFor({ state: 'detached' });
  await pick(user, user.getByTestId('language-switch'), '简体中文');
  await user.locator('[data-model="qwen2-0.5b-instruct"]').click();
  await details.getByText('Qwen2 系列的 0.5B 参数指令微调模型', { exact: false }).waitFor();
  await user.keyboard.press('Escape');
  await details.waitFor({ state: 'detached' });
  await pick(user, user.getByTestId('language-switch'), 'English');
  await user.getByText('2 models').waitFor();

  // API key: whole key once, masked afterwards.
  await user.goto(`${hydra.url}/keys`);
  await user.getByTestId('create-key').click();
  await user.getByTestId('key-name').fill('my-app');
  await user.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
  const keyInput = user.getByTestId('new-key');
  await keyInput.waitFor();
  const fullKey = await keyInput.inputValue();
  assert.match(fullKey, /^sk-[A-Za-z0-9_-]{32,}$/);
  await user.getByText('it will not be shown again').waitFor();
  await user.getByTestId('key-done').click();
  await user.reload();
  await user.getByTestId('masked-key').first().waitFor();
  const keysText = await user.getByTestId('keys-table').innerText();
  assert.ok(keysText.includes('my-app'));
  assert.ok(!(await user.content()).includes(fullKey), 'the full key is never shown again');
  const masked = await user.getByTestId('masked-key').allInnerTexts();
  assert.ok(masked.every((m) => m.includes('...') && m.length < 24), `masked: ${masked}`);

  // Playground: try from the square, compare two models. The browser forgets
  // the key made above, so the playground makes its own on first use.
  await user.evaluate(() => localStorage.removeItem('hydra.playground.keys'));
  await user.goto(`${hydra.url}/square/qwen2-0.5b-instruct`);
  await user.getByTestId('model-details').getByRole('button', { name: 'Try' }).click();
  await user.waitForURL(/\/playground\?model=public%2Fqwen2-0.5b/);
  await user.getByText('Created the API key').waitFor();
  await user.getByTestId('add-panel').click();
  await pick(user, user.getByTestId('panel-1-model'), 'public/deepseek-1.5b');
  await user.getByTestId('panel-0').getByText('Settings').click();
  const temperature = user.getByTestId('panel-0-temperature');
  await temperature.fill('1.3');
  await temperature.press('Tab');
  await user.evaluate(() => {
    const w = window;
    w.answerChanges = 0;
    new MutationObserver(() => w.answerChanges++).observe(document.querySelector('main'), { characterData: true, childList: true, subtree: true });
  });
  await user.getByTestId('play-input').fill('Hello there');
  await user.getByTestId('play-send').click();
  const stats0 = user.getByTestId('panel-0').getByTestId('answer-stats');
  const stats1 = user.getByTestId('panel-1').getByTestId('answer-stats');
  await stats0.waitFor();
  await stats1.waitFor();
  const answer0 = await user.getByTestId('panel-0').getByTestId('answer').innerText();
  const answer1 = await user.getByTestId('panel-1').getByTestId('answer').innerText();
  assert.equal(answer0, 'Hello from tiny-a at temperature 1.3 after 1 messages .');
  assert.equal(answer1, 'Hello from tiny-b at temperature 0.7 after 1 messages .');
  assert.match(await stats0.innerText(), /in 2 · out 10 tokens · \d+ ms/);
  assert.match(await stats1.innerText(), /in 2 · out 10 tokens · \d+ ms/);
  const changes = await user.evaluate(() => window.answerChanges);
  assert.ok(changes >= 10, `answers arrived piece by piece (${changes} updates)`);
  const streamed = upstream.requests.slice(-2);
  assert.ok(streamed.every((r) => r.stream === true));

  await user.getByTestId('panel-0-clear').click();
  assert.equal(await user.getByTestId('panel-0').getByTestId('answer').count(), 0);
  await user.getByTestId('play-input').fill('Second question');
  await user.getByTestId('play-send').click();
  await user.getByTestId('panel-1').getByTestId('answer-stats').nth(1).waitFor();
  await user.getByTestId('panel-0').getByTestId('answer-stats').first().waitFor();
  const lengths = upstream.requests.slice(-2).map((r) => r.messages.length).sort();
  assert.deepEqual(lengths, [1, 3], 'the cleared column sent only the new question');
  await user.getByTestId('open-history').click();
  await user.getByTestId('history-list').getByText('Hello there').waitFor();

  // Usage (when the server meters): the four calls in totals, chart and CSV.
  const doc = await (await fetch(`${hydra.url}/api/v1/openapi.json`)).json();
  if (doc.paths['/api/v1/usage']) {
    const calls = user.getByTestId('usage-totals').locator('.ant-statistic').first();
    for (let i = 0; i < 40; i++) {
      await user.goto(`${hydra.url}/usage`);
      await calls.waitFor();
      if ((await calls.locator('.ant-statistic-content').innerText()).trim() === '4') break;
      await user.waitForTimeout(500);
    }
    assert.equal((await calls.locator('.ant-statistic-content').innerText()).trim(), '4', 'four calls metered');
    await user.getByTestId('usage-chart').locator('canvas').waitFor();
    const byModel = await user.getByTestId('usage-by-model').innerText();
    assert.ok(byModel.includes('public/qwen2-0.5b') && byModel.includes('public/deepseek-1.5b'), byModel);
    const usageDownload = user.waitForEvent('download');
    await user.getByTestId('usage-export').click();
    const usageCsv = fs.readFileSync(await (await usageDownload).path(), 'utf8');
    assert.equal(usageCsv.trim().split('\n').length, 5, 'a header and four calls in the CSV');
  }

  // --- the administrator sees it in the audit log, and exports it.
  await admin.goto(`${hydra.url}/admin/audit`);
  await admin.getByTestId('audit-actor').fill('alice');
  await admin.getByTestId('audit-actor').press('Enter');
  const table = admin.getByTestId('audit-table');
  // The filtered page has arrived when every row's actor is alice.
  await admin.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-testid=audit-table] tbody tr.ant-table-row')];
    return rows.length > 0 && rows.every((r) => r.children[1].textContent === 'alice');
  });
  const aliceText = await table.innerText();
  for (const action of ['Login', 'CreateWSAPIKey']) assert.ok(aliceText.includes(action), `alice's ${action} is logged`);
  assert.ok(!aliceText.includes('PublishModel'), 'the actor filter applies');
  await admin.getByTestId('audit-actor').fill('');
  await admin.getByTestId('audit-actor').press('Enter');
  await table.getByText('CreateUser').first().waitFor();
  const download = admin.waitForEvent('download');
  await admin.getByTestId('audit-export').click();
  const csv = fs.readFileSync(await (await download).path(), 'utf8');
  for (const action of ['ImportModel', 'PublishModel', 'CreateMAASModel', 'CreateUser', 'Login', 'CreateWSAPIKey']) {
    assert.ok(csv.includes(action), `${action} in the exported audit log`);
  }
  const keyEvents = csv.split('\n').filter((l) => l.includes('CreateWSAPIKey') && l.includes('alice'));
  assert.equal(keyEvents.length, 2, 'the my-app key and the playground key');

  assert.deepEqual(adminErrors, [], 'no console errors for the administrator');
  assert.deepEqual(userErrors, [], 'no console errors for the user');
  await adminCtx.close();
  await userCtx.close();
}

// The path of a new installation, in the browser: the administrator imports
// the ModelHub files from a URL (picking from the preview), publishes two
// models, routes them to an upstream as MaaS models and creates a user; the
// user filters the model square, reads a model's details in both languages,
// creates an API key (shown once, masked after a reload), chats with both
// models side by side (streamed, token counts), changes the temperature and
// clears the context; then deploys a small test model as a service (an
// invalid name is refused in the form before anything is sent), sees it
// reach Running, chats with it by its access name and deletes it by typing
// its name; the administrator finds those actions in the audit log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_PASSWORD, apiCall, apiLogin, hydraBinary, launchBrowser, login, newContext, startHydra, startModelHub, startUpstream, testdata, watchErrors } from './harness.mjs';

let hydra, upstream, hub, browser, modelDir;
const shots = []; // pages to photograph when the test fails

before(async () => {
  [hydra, upstream, hub] = await Promise.all([startHydra(), startUpstream(), startModelHub()]);
  browser = await launchBrowser();
  // A random-weight model with a real vocabulary and chat template: small
  // enough to start in a moment and answer on one core.
  modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hydra-e2e-model-'));
  execFileSync(hydraBinary, [
    'engine', 'make-test-model', '--arch', 'qwen2', '--vocab', path.join(testdata, 'vocab/ggml-vocab-gpt-2.gguf'),
    '--layers', '1', '--hidden', '32', '--heads', '2', '--seed', '7',
    '--chat-template', path.join(testdata, 'chat-templates/Qwen-Qwen2.5-7B-Instruct.jinja'), '-o', path.join(modelDir, 'tiny.gguf'),
  ]);
});

// Replicas outlive the server by design: never leave one behind. Pids are
// those seen through the API; only processes still serving the test model
// are killed.
const replicaPids = new Set();

async function rememberReplicas(token) {
  const all = await apiCall(hydra.url, token, 'GET', '/deployments?all=true&page_size=100');
  for (const d of all.items) {
    const detail = await apiCall(hydra.url, token, 'GET', `/deployments/${d.id}`);
    for (const r of detail.replica_status) if (r.pid > 0) replicaPids.add(r.pid);
  }
}

function killReplicas() {
  for (const pid of replicaPids) {
    let cmdline = '';
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // gone
    }
    if (cmdline.includes(modelDir)) process.kill(pid, 'SIGKILL');
  }
}

after(async () => {
  await browser?.close();
  if (hydra) await rememberReplicas(await apiLogin(hydra.url, 'admin', ADMIN_PASSWORD)).catch((e) => console.log(`listing replicas: ${e.message}`));
  if (modelDir) killReplicas();
  await Promise.all([hydra?.stop(), upstream?.stop(), hub?.stop()]);
  if (modelDir) fs.rmSync(modelDir, { recursive: true, force: true });
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

  await deployChatDelete(user, adminToken);

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
  for (const action of ['Login', 'CreateWSAPIKey', 'CreateWSModelServing', 'DeleteWSModelServing']) assert.ok(aliceText.includes(action), `alice's ${action} is logged`);
  assert.ok(!aliceText.includes('PublishModel'), 'the actor filter applies');
  await admin.getByTestId('audit-actor').fill('');
  await admin.getByTestId('audit-actor').press('Enter');
  await table.getByText('CreateUser').first().waitFor();
  const download = admin.waitForEvent('download');
  await admin.getByTestId('audit-export').click();
  const csv = fs.readFileSync(await (await download).path(), 'utf8');
  for (const action of ['ImportModel', 'PublishModel', 'CreateMAASModel', 'CreateUser', 'Login', 'CreateWSAPIKey', 'CreateWSModelServing', 'DeleteWSModelServing']) {
    assert.ok(csv.includes(action), `${action} in the exported audit log`);
  }
  const serving = csv.split('\n').filter((l) => /(Create|Delete)WSModelServing/.test(l));
  assert.equal(serving.length, 2, 'one create and one delete of the service');
  assert.ok(serving.every((l) => l.includes('alice') && l.includes('name=tiny-chat')), serving.join('\n'));
  const keyEvents = csv.split('\n').filter((l) => l.includes('CreateWSAPIKey') && l.includes('alice'));
  assert.equal(keyEvents.length, 2, 'the my-app key and the playground key');

  assert.deepEqual(adminErrors, [], 'no console errors for the administrator');
  assert.deepEqual(userErrors, [], 'no console errors for the user');
  await adminCtx.close();
  await userCtx.close();
}

// The user deploys the test model from the square, sees the name rule
// refuse a bad name before anything is sent, waits for Running, chats with
// the service by its access name and deletes it by typing its name.
async function deployChatDelete(user, adminToken) {
  const modelPath = path.join(modelDir, 'tiny.gguf');
  await apiCall(hydra.url, adminToken, 'POST', '/models', { id: 'tiny-qwen2', display_name: 'Tiny Qwen2', tags: ['TEXT_GENERATION'], description: { enUS: 'A tiny test model', zhCN: '测试用小模型' }, published: true });
  await apiCall(hydra.url, adminToken, 'POST', '/deployment-templates', { model_id: 'tiny-qwen2', name: 'cpu-tiny', runtime: 'hydra-engine', resources: { cpu: 1, memory: 1 } });

  await user.goto(`${hydra.url}/square/tiny-qwen2`);
  await user.getByTestId('model-details').getByRole('button', { name: 'Deploy' }).click();
  await user.waitForURL(/\/deployments\/new\?model=tiny-qwen2/);
  const form = user.getByTestId('deploy-form');
  await form.getByText(/cpu-tiny — hydra-engine/).waitFor(); // the model's template, chosen for the user

  const posts = [];
  const watch = (r) => r.method() === 'POST' && r.url().endsWith('/api/v1/deployments') && posts.push(r.url());
  user.on('request', watch);
  const name = user.getByTestId('deploy-name');
  await name.pressSequentially('Tiny_Chat');
  await form.getByText('Only lower-case letters a-z, digits 0-9 and "-" are allowed').waitFor();
  await name.fill('tiny-chat-');
  await form.getByText('The name must start and end with a letter or digit').waitFor();
  await user.getByTestId('deploy-model-path').fill(modelPath);
  await user.getByTestId('deploy-submit').click();
  await user.waitForTimeout(500);
  assert.deepEqual(posts, [], 'the form sent nothing while the name broke the rule');
  assert.match(user.url(), /\/deployments\/new/);

  await name.fill('tiny-chat');
  await form.locator('.ant-form-item-explain-error').first().waitFor({ state: 'detached' });
  const created = Date.now();
  await user.getByTestId('deploy-submit').click();
  await user.waitForURL(/\/deployments\/(?!new)[^/]+$/);
  assert.equal(posts.length, 1, 'one create request once the name is valid');
  user.off('request', watch);

  const details = user.getByTestId('deployment-details');
  await details.locator('[data-testid=deployment-state][data-state=Running]').first().waitFor({ timeout: 60_000 });
  console.log(`deployment: created to Running in the console after ${Date.now() - created} ms`);
  await user.locator('[data-testid=file-check][data-outcome=passed]').waitFor();
  const access = (await user.getByTestId('deployment-access-name').innerText()).trim();
  assert.match(access, /^[a-z0-9-]+\/tiny-chat$/);
  const info = await user.getByTestId('deployment-info').innerText();
  assert.ok(info.includes(modelPath) && info.includes('tiny-qwen2') && info.includes('hydra-engine'), info);

  await details.getByRole('tab', { name: 'How to call' }).click();
  assert.equal((await user.getByTestId('example-base-url').innerText()).trim(), `${hydra.url}/v1`);
  const curl = await user.getByTestId('example-curl').innerText();
  assert.ok(curl.includes(`curl ${hydra.url}/v1/chat/completions`) && curl.includes(access), curl);
  await details.getByRole('tab', { name: 'Python' }).click();
  assert.ok((await user.getByTestId('example-python').innerText()).includes(`base_url="${hydra.url}/v1"`));
  await details.getByRole('tab', { name: 'Node.js' }).click();
  assert.ok((await user.getByTestId('example-node').innerText()).includes(`model: '${access}'`));
  await details.getByRole('tab', { name: 'Logs' }).click();
  await user.getByTestId('deployment-logs').waitFor();

  // Chat with the service in the playground, by its access name.
  await user.getByTestId('deployment-try').click();
  await user.waitForURL(new RegExp(`/playground\\?model=${encodeURIComponent(access)}`));
  await user.getByTestId('panel-0').getByText('Settings').click();
  const maxTokens = user.getByTestId('panel-0-max-tokens');
  await maxTokens.fill('8');
  await maxTokens.press('Tab');
  await user.getByTestId('play-input').fill('Hello');
  await user.getByTestId('play-send').click();
  const stats = user.getByTestId('panel-0').getByTestId('answer-stats');
  await stats.waitFor({ timeout: 30_000 });
  assert.match(await stats.innerText(), /in \d+ · out [1-8] tokens · \d+ ms/);
  const answer = await user.getByTestId('panel-0').getByTestId('answer').innerText();
  assert.ok(answer.trim().length > 0, 'the service answered');

  await rememberReplicas(adminToken);
  assert.equal(replicaPids.size, 1, 'one replica process');

  // Delete from the list: only the exact name unlocks the button.
  await user.goto(`${hydra.url}/deployments`);
  await user.getByTestId('deployment-tiny-chat').waitFor();
  await user.getByTestId('delete-tiny-chat').click();
  const confirm = user.getByTestId('delete-confirm');
  assert.ok(await confirm.isDisabled(), 'nothing typed yet');
  await user.getByTestId('delete-name').fill('tiny-cha');
  assert.ok(await confirm.isDisabled(), 'a wrong name keeps it locked');
  await user.getByTestId('delete-name').fill('tiny-chat');
  await confirm.click();
  await user.getByText('Deleted tiny-chat').waitFor();
  await user.getByTestId('deployment-tiny-chat').waitFor({ state: 'detached' });
  const left = await apiCall(hydra.url, adminToken, 'GET', '/deployments?all=true');
  assert.equal(left.items.filter((d) => d.name === 'tiny-chat').length, 0, 'the service is gone');
}

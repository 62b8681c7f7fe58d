// Image generation in the browser: a published TEXT_TO_IMAGE model routed
// to an upstream; the user opens it from the square, writes a prompt and a
// negative prompt, picks a size and a guidance scale, and sees the images
// the upstream drew, passed through the real gateway.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ADMIN_PASSWORD, apiCall, apiLogin, launchBrowser, login, newContext, startHydra, startUpstream, testdata, tinyPng, watchErrors } from './harness.mjs';

let hydra, upstream, browser;

before(async () => {
  [hydra, upstream] = await Promise.all([startHydra(), startUpstream()]);
  browser = await launchBrowser();
  const token = await apiLogin(hydra.url, 'admin', ADMIN_PASSWORD);
  const yaml = fs.readFileSync(path.join(testdata, 'modelhub/hidream/hidream-i1-dev/metadata.yaml'), 'utf8');
  await apiCall(hydra.url, token, 'POST', '/models/import?publish=true', { yaml });
  await apiCall(hydra.url, token, 'POST', '/maas-models', { id: 'hidream', model_id: 'hidream-i1-dev', endpoints: [{ base_url: upstream.url, model: 'hidream-upstream' }], enabled: true });
});

after(async () => {
  await browser?.close();
  await Promise.all([hydra?.stop(), upstream?.stop()]);
});

test('a text-to-image model draws from a prompt, a negative prompt, a size and a guidance scale', { timeout: 90_000 }, async () => {
  const context = await newContext(browser);
  const page = await context.newPage();
  const errors = watchErrors(page);
  await login(page, hydra.url, 'admin', ADMIN_PASSWORD);
  await page.goto(`${hydra.url}/square/hidream-i1-dev`);
  await page.getByTestId('model-details').getByRole('button', { name: 'Try' }).click();
  await page.waitForURL(/\/images\?model=public%2Fhidream/);

  await page.getByTestId('images-prompt').fill('a red lighthouse at dusk');
  await page.getByTestId('images-negative').fill('blurry, text');
  await page.getByTestId('images-size').click();
  await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: '512 × 512' }).click();
  const guidance = page.getByRole('slider', { name: 'Guidance scale' });
  await guidance.focus();
  for (let i = 0; i < 7; i++) await guidance.press('ArrowLeft'); // 7.5 -> 4
  await page.getByLabel('Images', { exact: true }).fill('2');
  await page.getByTestId('images-generate').click();

  const shown = page.getByTestId('images-result').locator('img');
  await shown.nth(1).waitFor();
  assert.equal(await shown.count(), 2);
  assert.equal(await shown.first().getAttribute('src'), `data:image/png;base64,${tinyPng}`);
  const drawn = await shown.first().evaluate((img) => img.complete && img.naturalWidth);
  assert.equal(drawn, 2, 'the browser decoded the returned PNG');

  assert.equal(upstream.images.length, 1);
  const sent = upstream.images[0];
  assert.equal(sent.model, 'hidream-upstream', 'the gateway rewrote the access name to the upstream model');
  assert.equal(sent.prompt, 'a red lighthouse at dusk');
  assert.equal(sent.negative_prompt, 'blurry, text');
  assert.equal(sent.size, '512x512');
  assert.equal(sent.guidance_scale, 4);
  assert.equal(sent.n, 2);

  // An empty prompt is refused in the form, before any request.
  await page.getByTestId('images-prompt').fill('');
  await page.getByTestId('images-generate').click();
  await page.getByText('Describe the image').waitFor();
  assert.equal(upstream.images.length, 1, 'an empty prompt is not sent');
  assert.deepEqual(errors, []);
  await context.close();
});

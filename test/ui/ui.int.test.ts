// `mooring ui` in a real browser (Debian chromium via playwright-core) against the real
// controller, apiserver and Git server: a Kustomization becomes Ready on the page, a push shows
// its revision without reload, the graph opens the detail, the detail shows each object's health,
// suspend and resume work from the page, and the drift view shows a drifted object. Every HTTP
// response and Server-Sent Event the page receives is checked for the Secret's value; screenshots
// of each view go to .build/test-output/ui/ and must not be blank.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { ContentType, KubeClient } from '../../src/kube/client.js';
import { repoRoot } from '../config/dashboard.js';
import { eventually, kubeConfigFor, testNamespace, useCluster } from '../helpers/cluster.js';
import { type RunningController, startController } from '../helpers/controller.js';
import { installCrds } from '../helpers/crds.js';
import {
  commitFiles,
  type GitHttpServer,
  makeRepo,
  type Repo,
  startGitHttpServer,
  tempDir,
} from '../helpers/gitserver.js';
import { type Browser, pixelDeviation, type RunningUi, startBrowser, startUi } from '../helpers/ui.js';

const state = await useCluster();
await installCrds(state);
const kc = kubeConfigFor(state);
const client = new KubeClient(kc);
const ns = await testNamespace(kc, 'ui');
const outDir = join(repoRoot, '.build', 'test-output', 'ui');
const gitRoot = tempDir('mooring-ui-git-');

const SECRET_VALUE = 'hunter2-never-in-the-browser';
const DRIFTED_SECRET = 'changed-in-the-cluster-42';
const WAIT = { timeout: 60_000 };

const configMap = (color: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  color: ${color}
`;
const files = {
  'extra/configmap.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: extra
data:
  enabled: "true"
`,
  'deploy/configmap.yaml': configMap('blue'),
  'deploy/secret.yaml': `apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  password: ${SECRET_VALUE}
`,
  'deploy/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 80
`,
  'deploy/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
`,
};

let git: GitHttpServer;
let repo: Repo;
let controller: RunningController | undefined;
let ui: RunningUi | undefined;
let browser: Browser | undefined;

before(async () => {
  mkdirSync(outDir, { recursive: true });
  repo = await makeRepo(join(gitRoot, 'app.git'), { commits: [{ files, message: 'blue' }] });
  git = await startGitHttpServer({ root: gitRoot });
  controller = await startController({ kubeconfig: state.kubeconfig, namespace: ns });
  await client.post(`/apis/source.toolkit.fluxcd.io/v1/namespaces/${ns}/gitrepositories`, {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name: 'app', namespace: ns },
    spec: { url: git.url('app.git'), interval: '10m', ref: { branch: 'main' } },
  });
  await client.post(`/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${ns}/kustomizations`, {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: 'app', namespace: ns },
    spec: {
      interval: '10m',
      path: './deploy',
      prune: true,
      targetNamespace: ns,
      sourceRef: { kind: 'GitRepository', name: 'app' },
    },
  });
  await client.post(`/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${ns}/kustomizations`, {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: 'extra', namespace: ns },
    spec: {
      interval: '10m',
      path: './extra',
      prune: true,
      targetNamespace: ns,
      dependsOn: [{ name: 'app' }],
      sourceRef: { kind: 'GitRepository', name: 'app' },
    },
  });
  ui = await startUi(['--kubeconfig', state.kubeconfig, '-n', ns]);
  browser = await startBrowser();
});

after(async () => {
  await browser?.stop();
  await ui?.stop();
  await controller?.stop();
  await git?.stop();
  client.close();
  rmSync(gitRoot, { recursive: true, force: true });
});

async function screenshot(page: Page, name: string): Promise<void> {
  const png = await page.screenshot({ fullPage: false });
  writeFileSync(join(outDir, `${name}.png`), png);
  const deviation = pixelDeviation(png);
  assert.ok(deviation > 8, `screenshot ${name} looks blank (luminance deviation ${deviation.toFixed(2)})`);
}

// Code run in the page is passed as text: the tests compile without the DOM library.

/** WCAG contrast ratio of every badge's text against its background, the worst one. */
const WORST_BADGE_CONTRAST = `(() => {
  const lum = (c) => {
    const [r, g, b] = (c.match(/\\d+(\\.\\d+)?/g) || []).slice(0, 3).map((v) => {
      const s = Number(v) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  let worst = 21;
  for (const el of document.querySelectorAll('.badge')) {
    const st = getComputedStyle(el);
    const [a, b] = [lum(st.color), lum(st.backgroundColor)].sort((x, y) => y - x);
    worst = Math.min(worst, (a + 0.05) / (b + 0.05));
  }
  return worst;
})()`;

/** On failure: what the server saw, and the end of the controller's and the UI's logs. */
async function diagnose(err: unknown): Promise<never> {
  const overview = await fetch(`${ui?.url}api/overview`).then(
    (r) => r.text(),
    (e: Error) => e.message,
  );
  console.log(`# overview: ${overview.slice(0, 4000)}`);
  console.log(`# ui logs: ${ui?.logs().slice(-2000)}`);
  console.log(`# controller logs: ${controller?.logs().slice(-6000)}`);
  throw err;
}

test('mooring ui: live overview, graph, detail with health, suspend/resume and drift in chromium', async () => {
  await scenario().catch(diagnose);
});

async function scenario(): Promise<void> {
  assert.ok(browser && ui);
  const page = await browser.context.newPage();
  page.setDefaultTimeout(60_000);

  // Everything the page receives: response bodies and each Server-Sent Event.
  const received: string[] = [];
  let sseMessages = 0;
  page.on('response', (res) => {
    if (!res.url().startsWith(ui!.url)) return;
    if ((res.headers()['content-type'] ?? '').startsWith('text/event-stream')) return;
    res.text().then(
      (t) => received.push(t),
      () => undefined,
    );
  });
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('Network.enable');
  cdp.on('Network.eventSourceMessageReceived', (e) => {
    sseMessages++;
    received.push(e.data);
  });

  // 1. Overview: the Kustomization becomes Ready on the open page.
  const started = Date.now();
  await page.goto(ui.url, WAIT);
  await page.waitForSelector('table.objects tbody tr', WAIT);
  console.log(`# first render of the overview: ${Date.now() - started} ms`);
  const ksRow = `tr[data-key="Kustomization/${ns}/app"]`;
  await page.waitForSelector(`${ksRow} [data-status="Ready"]`, WAIT);
  await page.waitForSelector(`tr[data-key="GitRepository/${ns}/app"] [data-status="Ready"]`, WAIT);
  assert.equal(await page.textContent('[data-count="Total"]'), '3');
  await page.evaluate('window.notReloaded = true');
  await screenshot(page, 'overview');

  // Accessibility basics: keyboard reaches the rows, status is text + icon, controls are labelled,
  // badge text has AA contrast.
  await page.focus('body');
  let reachedRow = false;
  for (let i = 0; i < 40 && !reachedRow; i++) {
    await page.keyboard.press('Tab');
    reachedRow = await page.evaluate<boolean>(
      "document.activeElement?.closest('table.objects tbody tr') != null",
    );
  }
  assert.ok(reachedRow, 'Tab reaches a row of the overview');
  assert.match(
    (await page.getAttribute(`${ksRow} a`, 'aria-label')) ?? '',
    new RegExp(`^Kustomization ${ns}/app: Ready$`),
  );
  const badges = await page.$$eval('.badge[data-status]', (els) =>
    els.map((e) => ({
      status: e.getAttribute('data-status'),
      text: e.textContent ?? '',
      icon: e.querySelector('.icon[aria-hidden="true"]')?.textContent ?? '',
    })),
  );
  assert.ok(badges.length >= 2);
  for (const b of badges) {
    assert.ok(b.text.includes(b.status!), `badge shows its status as text: ${JSON.stringify(b)}`);
    assert.ok(b.icon.length > 0, `badge has an icon: ${JSON.stringify(b)}`);
  }
  const unlabelled = await page.evaluate<string[]>(`[...document.querySelectorAll('input, select, button')]
    .filter((e) => !e.labels?.length && !e.getAttribute('aria-label') && !e.textContent.trim())
    .map((e) => e.outerHTML)`);
  assert.deepEqual(unlabelled, []);
  const contrast = await page.evaluate<number>(WORST_BADGE_CONTRAST);
  assert.ok(contrast >= 4.5, `badge contrast ${contrast.toFixed(2)} < 4.5`);

  // 2. A push shows up without reloading the page.
  const sha = await commitFiles(repo, { 'deploy/configmap.yaml': configMap('green') }, 'green');
  await client.patch(
    `/apis/source.toolkit.fluxcd.io/v1/namespaces/${ns}/gitrepositories/app`,
    { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': `push-${Date.now()}` } } },
    ContentType.mergePatch,
  );
  await page.waitForSelector(`${ksRow} .revision code:text-is("${sha.slice(0, 7)}")`, WAIT);
  assert.equal(await page.evaluate('window.notReloaded'), true, 'the page was not reloaded');

  // 3. Graph: the source and the Kustomization as nodes; clicking a node opens it.
  await page.click('nav a[href="#/graph"]');
  await page.waitForSelector(`[data-node="Kustomization/${ns}/app"]`, WAIT);
  await page.waitForSelector(`[data-node="GitRepository/${ns}/app"]`, WAIT);
  await page.waitForSelector('path.edge-dependsOn', { ...WAIT, state: 'attached' });
  assert.match((await page.getAttribute(`svg a[href="#/ks/${ns}/app"]`, 'aria-label')) ?? '', /: Ready$/);
  await screenshot(page, 'graph');
  await page.click(`svg a[href="#/ks/${ns}/app"]`);

  // 4. Detail: each inventoried object with its live health.
  await page.waitForSelector('#detail-title', WAIT);
  // (waitForFunction evaluates strings, which the page's Content-Security-Policy forbids: poll.)
  await eventually(
    'four inventoried objects with their health',
    async () => (await page.$$('.tree-object [data-health]')).length === 4,
    WAIT.timeout,
  );
  const health = Object.fromEntries(
    await page.$$eval('.tree-object', (els) =>
      els.map((e) => [
        e.getAttribute('data-object'),
        e.querySelector('[data-health]')?.getAttribute('data-health'),
      ]),
    ),
  );
  assert.deepEqual(health, {
    [`ConfigMap/${ns}/settings`]: 'Current',
    [`Deployment/${ns}/web`]: 'InProgress', // no scheduler or kubelet: the pod never runs
    [`Secret/${ns}/db`]: 'Current',
    [`Service/${ns}/web`]: 'Current',
  });
  assert.equal(await page.textContent('[data-testid="revision"] code'), sha.slice(0, 7));
  await page.waitForSelector('section.detail table tbody tr', WAIT);
  await screenshot(page, 'detail');

  // 5. Suspend and resume from the page.
  await page.click('button:has-text("Suspend")');
  await page.waitForSelector('#detail-title [data-status="Suspended"]', WAIT);
  await page.waitForSelector('[data-testid="action-progress"] [data-state="succeeded"]', WAIT);
  const suspended = await client.get<{ spec: { suspend?: boolean } }>(
    `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${ns}/kustomizations/app`,
  );
  assert.equal(suspended.spec.suspend, true);
  await page.click('button:has-text("Resume")');
  await page.waitForSelector(
    '[data-testid="action-progress"] [data-state="succeeded"]:text("resumed")',
    WAIT,
  );
  await page.waitForSelector('#detail-title [data-status="Ready"]', WAIT);

  // 6. Drift: change objects behind the controller's back, then open the diff.
  await client.patch(
    `/api/v1/namespaces/${ns}/configmaps/settings`,
    { data: { color: 'red' } },
    ContentType.mergePatch,
  );
  await client.patch(
    `/api/v1/namespaces/${ns}/secrets/db`,
    { data: { password: Buffer.from(DRIFTED_SECRET).toString('base64') } },
    ContentType.mergePatch,
  );
  await page.click('a:has-text("Show drift")');
  const cmItem = `[data-subject="ConfigMap/${ns}/settings"]`;
  await page.waitForSelector(cmItem, WAIT);
  assert.match((await page.textContent(`${cmItem} .diff .del`)) ?? '', /color: red/);
  assert.match((await page.textContent(`${cmItem} .diff .add`)) ?? '', /color: green/);
  const secretItem = await page.textContent(`[data-subject="Secret/${ns}/db"]`);
  assert.match(secretItem ?? '', /\*\*\*/);
  await page.click('label:has-text("Side by side")');
  await page.waitForSelector(`${cmItem} table.side-by-side`, WAIT);
  await screenshot(page, 'drift');

  // 7. No Secret value ever reached the browser.
  assert.ok(sseMessages > 0, 'server-sent events were captured');
  assert.ok(received.length > 5, 'responses were captured');
  for (const value of [SECRET_VALUE, DRIFTED_SECRET]) {
    for (const form of [value, Buffer.from(value).toString('base64')]) {
      const leak = received.find((t) => t.includes(form));
      assert.equal(leak, undefined, `the browser received ${form}`);
    }
  }
  await page.close();
}

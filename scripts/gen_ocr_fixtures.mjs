// Renders the OCR evaluation set (test/fixtures/ocr/) with headless Chromium: UI screenshots,
// a dark terminal, charts and a diagram, each as NAME.png plus its exact text in NAME.txt
// (ground truth in reading order: one line per visual line, blank line between blocks).
// The text is written from the same data the HTML is rendered from, so the two cannot drift.
//
//   node scripts/gen_ocr_fixtures.mjs          # needs /usr/bin/chromium, fonts-dejavu-core, fonts-liberation
//   node scripts/gen_ocr_fixtures.mjs --out /tmp/ocr-tuning --scales 1,1.25,1.5,1.75
//                                              # a larger, uncommitted set for tuning decisions
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import sharp from 'sharp';

const { values: flags } = parseArgs({ options: { out: { type: 'string' }, scales: { type: 'string' } } });
const OUT_DIR = flags.out ?? join(import.meta.dirname, '..', 'test', 'fixtures', 'ocr');
const SCALES = flags.scales?.split(',').map(Number);
const REQUIRED_FONTS = ['DejaVu Sans', 'DejaVu Sans Mono', 'Liberation Sans'];

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const page = (body, css = '') =>
  `<!doctype html><html><head><meta charset="utf-8"><style>*{box-sizing:border-box}html,body{margin:0}${css}</style></head><body>${body}</body></html>`;
const truth = (blocks) => blocks.map((lines) => lines.join('\n')).join('\n\n') + '\n';

// ---------------------------------------------------------------- settings dialog (DejaVu Sans 13px)
function settingsDialog() {
  const nav = ['General', 'Editor', 'Appearance', 'Extensions', 'Keyboard Shortcuts'];
  const fields = [
    ['Font size', '14'],
    ['Font family', 'DejaVu Sans Mono'],
    ['Tab size', '4'],
    ['Line height', '1.5'],
    ['Word wrap', 'bounded'],
  ];
  const checks = ['Format on save', 'Show minimap', 'Render whitespace'];
  const html = page(
    `<div class="win">
      <div class="title">Settings</div>
      <div class="body">
        <div class="nav">${nav.map((n, i) => `<div class="item${i === 1 ? ' sel' : ''}">${esc(n)}</div>`).join('')}</div>
        <div class="content">
          <div class="h">Editor</div>
          ${fields.map(([l, v]) => `<div class="row"><span class="label">${esc(l)}</span><span class="input">${esc(v)}</span></div>`).join('')}
          ${checks.map((c, i) => `<div class="check"><span class="box${i !== 1 ? ' on' : ''}"></span>${esc(c)}</div>`).join('')}
        </div>
      </div>
      <div class="foot"><span class="btn">Cancel</span><span class="btn primary">Apply</span></div>
    </div>`,
    `body{font:13px 'DejaVu Sans';color:#1f2328;background:#e9ecef}
     .win{width:640px;height:420px;background:#fff;display:flex;flex-direction:column}
     .title{height:36px;line-height:36px;padding:0 16px;background:#f3f4f6;border-bottom:1px solid #d0d7de;font-weight:bold}
     .body{flex:1;display:flex}
     .nav{width:170px;background:#f6f8fa;border-right:1px solid #d0d7de;padding-top:10px}
     .item{padding:6px 16px}.item.sel{background:#dbe9ff;color:#0b4fb3}
     .content{flex:1;padding:14px 24px}
     .h{font-size:16px;font-weight:bold;margin-bottom:12px}
     .row{display:flex;align-items:center;height:34px}
     .label{width:130px}
     .input{border:1px solid #b8c0ca;border-radius:3px;padding:3px 8px;min-width:180px}
     .check{display:flex;align-items:center;height:26px}
     .box{width:13px;height:13px;border:1px solid #57606a;border-radius:2px;margin-right:8px}
     .box.on{background:#0b6bcb;border-color:#0b6bcb}
     .foot{height:52px;border-top:1px solid #d0d7de;display:flex;justify-content:flex-end;align-items:center;padding-right:16px;gap:10px}
     .btn{border:1px solid #b8c0ca;border-radius:4px;padding:6px 16px;background:#f6f8fa}
     .btn.primary{background:#0b6bcb;border-color:#0b6bcb;color:#fff}`,
  );
  const text = truth([['Settings'], nav, ['Editor'], fields.map((f) => f.join(' ')), checks, ['Cancel Apply']]);
  return { name: 'settings-dialog', html, width: 640, height: 420, kind: 'ui', text };
}

// ---------------------------------------------------------------- sign-up form (Liberation Sans 14px)
function signupForm() {
  const fields = [
    ['Full name', 'Ada Lovelace', false],
    ['Email address', 'ada@example.com', false],
    ['Company', 'Analytical Engines Ltd.', false],
    ['Phone (optional)', '+44 20 7946 0958', true],
  ];
  const html = page(
    `<div class="card">
      <div class="h">Create your account</div>
      <div class="sub">It takes less than a minute. No credit card required.</div>
      ${fields.map(([l, v, ph]) => `<div class="label">${esc(l)}</div><div class="input${ph ? ' ph' : ''}">${esc(v)}</div>`).join('')}
      <div class="check"><span class="box on"></span>I agree to the Terms of Service</div>
      <div class="btn">Sign up</div>
      <div class="foot">Already have an account? <span class="link">Log in</span></div>
    </div>`,
    `body{font:14px 'Liberation Sans';color:#24292f;background:#f0f2f5;padding:20px 0}
     .card{width:420px;margin:0 auto;background:#fff;border:1px solid #d8dee4;border-radius:8px;padding:22px 28px}
     .h{font-size:20px;font-weight:bold}
     .sub{color:#57606a;margin:6px 0 14px}
     .label{font-weight:bold;margin:10px 0 5px}
     .input{border:1px solid #d0d7de;border-radius:5px;padding:7px 10px}
     .input.ph{color:#8c959f}
     .check{display:flex;align-items:center;margin:16px 0}
     .box{width:14px;height:14px;border-radius:3px;margin-right:8px;background:#1f883d}
     .btn{background:#1f883d;color:#fff;text-align:center;border-radius:6px;padding:9px;font-weight:bold}
     .foot{text-align:center;margin-top:14px;color:#57606a}.link{color:#0969da}`,
  );
  const text = truth([
    ['Create your account', 'It takes less than a minute. No credit card required.'],
    fields.flatMap(([l, v]) => [l, v]),
    ['I agree to the Terms of Service'],
    ['Sign up'],
    ['Already have an account? Log in'],
  ]);
  return { name: 'signup-form', html, width: 480, height: 560, kind: 'ui', text };
}

// ---------------------------------------------------------------- error dialog (Liberation Sans 13px)
function errorDialog() {
  const message =
    "The file 'quarterly-report-2024.xlsx' could not be saved because the disk is full. Free up at least 120 MB of space on drive D: and try again.";
  const html = page(
    `<div class="dlg">
      <div class="bar">Microsoft Excel</div>
      <div class="main">
        <div class="icon"></div>
        <div class="txt">
          <div class="h">Unable to save file</div>
          <p>${esc(message)}</p>
          <div class="code">Error code: ENOSPC (28)</div>
        </div>
      </div>
      <div class="foot"><span class="btn">Show Details</span><span class="sp"></span><span class="btn primary">Retry</span><span class="btn">Cancel</span></div>
    </div>`,
    `body{font:13px 'Liberation Sans';color:#1b1b1b;background:#fff}
     .dlg{width:520px;height:250px;border:1px solid #9a9a9a;display:flex;flex-direction:column}
     .bar{height:30px;line-height:30px;padding-left:12px;background:#f0f0f0;border-bottom:1px solid #ddd}
     .main{flex:1;display:flex;padding:16px 18px 0}
     .icon{width:32px;height:32px;border-radius:16px;background:#c42b1c;margin-right:16px;flex:none}
     .h{font-size:15px;font-weight:bold;margin-bottom:8px}
     p{margin:0 0 10px;line-height:18px}
     .code{color:#555}
     .foot{height:52px;display:flex;align-items:center;padding:0 14px;gap:8px;background:#f3f3f3;border-top:1px solid #ddd}
     .sp{flex:1}
     .btn{border:1px solid #adadad;border-radius:3px;padding:5px 18px;background:#fdfdfd}
     .btn.primary{border-color:#005fb8;background:#005fb8;color:#fff}`,
  );
  const text = truth([['Microsoft Excel'], ['Unable to save file', message, 'Error code: ENOSPC (28)'], ['Show Details Retry Cancel']]);
  return { name: 'error-dialog', html, width: 520, height: 250, kind: 'ui', text };
}

// ---------------------------------------------------------------- terminal (DejaVu Sans Mono 12px, dark)
function terminal() {
  const prompt = 'ada@devbox:~/src/loupe$';
  // [text, css class] per line; an empty line is a blank terminal row.
  const lines = [
    [`${prompt} git status`, 'p'],
    ['On branch feature/ocr', ''],
    ["Your branch is ahead of 'origin/feature/ocr' by 2 commits.", ''],
    ['', ''],
    ['Changes not staged for commit:', ''],
    ['  (use "git add <file>..." to update what will be committed)', 'dim'],
    ['        modified:   src/engine/ocr.ts', 'red'],
    ['        modified:   test/integration/ocr.test.ts', 'red'],
    ['', ''],
    [`${prompt} npm test -- --grep ocr`, 'p'],
    ['> loupe@0.1.0 test', ''],
    ['> node scripts/run-tests.mjs unit', ''],
    ['ok 1 - reads small UI text (412 ms)', 'green'],
    ['not ok 2 - reads the terminal (1289 ms)', 'red'],
    ['  error: expected CER <= 0.05, got 0.071', 'red'],
    ['# tests 2, pass 1, fail 1', ''],
    [`${prompt}`, 'p'],
  ];
  const row = ([t, cls]) => {
    if (cls === 'p') return `<div><span class="green">${esc(prompt)}</span>${esc(t.slice(prompt.length))}</div>`;
    return `<div class="${cls}">${t ? esc(t) : '&nbsp;'}</div>`;
  };
  const html = page(
    `<div class="term">${lines.map(row).join('')}</div>`,
    `body{background:#1e1e1e}
     .term{font:12px/17px 'DejaVu Sans Mono';color:#cccccc;padding:10px 12px;white-space:pre;width:640px;height:320px}
     .green{color:#23d18b}.red{color:#f14c4c}.dim{color:#8a8a8a}`,
  );
  // Blank terminal rows separate blocks; leading indentation is not text.
  const blocks = [[]];
  for (const [t] of lines) {
    if (!t) blocks.push([]);
    else blocks.at(-1).push(t.trim().replace(/ {2,}/g, ' '));
  }
  return { name: 'terminal-dark', html, width: 640, height: 320, kind: 'terminal', text: truth(blocks) };
}

// ---------------------------------------------------------------- bar chart (inline SVG, DejaVu Sans)
function barChart() {
  const data = [
    ['Jan', 42],
    ['Feb', 55],
    ['Mar', 61],
    ['Apr', 58],
    ['May', 70],
    ['Jun', 76],
  ];
  const W = 560, H = 360, left = 60, top = 50, plotW = 470, plotH = 240, max = 80;
  const y = (v) => top + plotH - (v / max) * plotH;
  const ticks = [0, 20, 40, 60, 80];
  const slot = plotW / data.length;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans" font-size="12">
    <rect width="${W}" height="${H}" fill="#fff"/>
    <text x="${W / 2}" y="28" text-anchor="middle" font-size="15" font-weight="bold">Monthly active users (thousands)</text>
    ${ticks.map((t) => `<line x1="${left}" x2="${left + plotW}" y1="${y(t)}" y2="${y(t)}" stroke="#e3e3e3"/><text x="${left - 8}" y="${y(t) + 4}" text-anchor="end" fill="#555">${t}</text>`).join('')}
    ${data.map(([m, v], i) => {
      const x = left + i * slot + slot * 0.2;
      return `<rect x="${x}" y="${y(v)}" width="${slot * 0.6}" height="${(v / max) * plotH}" fill="#4e79a7"/>
        <text x="${x + slot * 0.3}" y="${y(v) - 6}" text-anchor="middle">${v}</text>
        <text x="${x + slot * 0.3}" y="${top + plotH + 18}" text-anchor="middle" fill="#333">${m}</text>`;
    }).join('')}
    <line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>
    <text x="${left + plotW / 2}" y="${H - 12}" text-anchor="middle" fill="#333">Month (2024)</text>
  </svg>`;
  const html = page(svg);
  const text = truth([
    ['Monthly active users (thousands)'],
    ticks.slice().reverse().map(String),
    data.map(([, v]) => String(v)),
    data.map(([m]) => m),
    ['Month (2024)'],
  ]);
  return { name: 'bar-chart', html, width: W, height: H, kind: 'chart', text };
}

// ---------------------------------------------------------------- line chart (inline SVG, DejaVu Sans)
function lineChart() {
  const labels = ['Mar 1', 'Mar 8', 'Mar 15', 'Mar 22', 'Mar 29'];
  const series = [
    ['main', '#e15759', [182, 175, 169, 171, 160]],
    ['feature/ocr', '#59a14f', [190, 204, 198, 215, 221]],
  ];
  const W = 560, H = 340, left = 64, top = 56, plotW = 440, plotH = 210, lo = 150, hi = 230;
  const x = (i) => left + (i * plotW) / (labels.length - 1);
  const y = (v) => top + plotH - ((v - lo) / (hi - lo)) * plotH;
  const ticks = [150, 170, 190, 210, 230];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans" font-size="12">
    <rect width="${W}" height="${H}" fill="#fff"/>
    <text x="20" y="28" font-size="15" font-weight="bold">CI build time (seconds)</text>
    ${series.map(([n, c], i) => `<rect x="${330 + i * 80}" y="18" width="12" height="12" fill="${c}"/><text x="${346 + i * 80}" y="28">${esc(n)}</text>`).join('')}
    ${ticks.map((t) => `<line x1="${left}" x2="${left + plotW}" y1="${y(t)}" y2="${y(t)}" stroke="#e6e6e6"/><text x="${left - 8}" y="${y(t) + 4}" text-anchor="end" fill="#555">${t}</text>`).join('')}
    ${series.map(([, c, vs]) => `<polyline fill="none" stroke="${c}" stroke-width="2" points="${vs.map((v, i) => `${x(i)},${y(v)}`).join(' ')}"/>${vs.map((v, i) => `<circle cx="${x(i)}" cy="${y(v)}" r="3" fill="${c}"/>`).join('')}`).join('')}
    <text x="${x(4) - 6}" y="${y(221) - 8}" text-anchor="end" fill="#59a14f">221</text>
    <text x="${x(4) - 6}" y="${y(160) + 18}" text-anchor="end" fill="#e15759">160</text>
    ${labels.map((l, i) => `<text x="${x(i)}" y="${top + plotH + 20}" text-anchor="middle" fill="#333">${l}</text>`).join('')}
  </svg>`;
  const html = page(svg);
  const text = truth([
    ['CI build time (seconds) main feature/ocr'],
    ticks.slice().reverse().map(String),
    ['221', '160'],
    labels,
  ]);
  return { name: 'line-chart', html, width: W, height: H, kind: 'chart', text };
}

// ---------------------------------------------------------------- box-and-arrow diagram (DejaVu Sans)
function diagram() {
  const boxes = [
    { id: 'panel', x: 20, y: 40, w: 140, lines: ['Webview panel'] },
    { id: 'host', x: 250, y: 40, w: 150, lines: ['Extension host', '(engine client)'] },
    { id: 'worker', x: 250, y: 190, w: 150, lines: ['Engine worker'] },
    { id: 'ort', x: 490, y: 190, w: 150, lines: ['onnxruntime-node'] },
    { id: 'store', x: 490, y: 40, w: 150, lines: ['Model store'] },
  ];
  const edges = [
    ['panel', 'host', 'messages'],
    ['host', 'worker', 'jobs'],
    ['worker', 'ort', 'tensors'],
    ['host', 'store', 'download'],
  ];
  const BOX_H = 56;
  const byId = Object.fromEntries(boxes.map((b) => [b.id, { ...b, h: BOX_H }]));
  const center = (b) => [b.x + b.w / 2, b.y + b.h / 2];
  const edge = ([f, t, label]) => {
    const a = byId[f], b = byId[t];
    const [ax, ay] = center(a), [bx, by] = center(b);
    const horizontal = ay === by;
    const x1 = horizontal ? a.x + a.w : ax, y1 = horizontal ? ay : a.y + a.h;
    const x2 = horizontal ? b.x : bx, y2 = horizontal ? by : b.y;
    const lx = horizontal ? (x1 + x2) / 2 : x1 + 8, ly = horizontal ? y1 - 8 : (y1 + y2) / 2 + 4;
    return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#444" stroke-width="1.5" marker-end="url(#a)"/>
      <text x="${lx}" y="${ly}" text-anchor="${horizontal ? 'middle' : 'start'}" fill="#666" font-size="12">${label}</text>`;
  };
  const box = (b) => {
    const first = b.y + b.h / 2 + 5 - ((b.lines.length - 1) * 16) / 2;
    return `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="6" fill="#fff" stroke="#2f5597" stroke-width="1.5"/>
      ${b.lines.map((l, i) => `<text x="${b.x + b.w / 2}" y="${first + i * 16}" text-anchor="middle">${esc(l)}</text>`).join('')}`;
  };
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="660" height="300" font-family="DejaVu Sans" font-size="13">
    <defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0L10,5L0,10z" fill="#444"/></marker></defs>
    <rect width="660" height="300" fill="#fbfbfb"/>
    ${Object.values(byId).map(box).join('')}
    ${edges.map(edge).join('')}
  </svg>`;
  const html = page(svg);
  // Box by box, left to right and top to bottom, each arrow's label between the boxes it joins.
  const text = truth([
    ['Webview panel', 'messages', 'Extension host', '(engine client)', 'download', 'Model store'],
    ['jobs'],
    ['Engine worker', 'tensors', 'onnxruntime-node'],
  ]);
  return { name: 'diagram', html, width: 660, height: 300, kind: 'diagram', text };
}

// ---------------------------------------------------------------- 1920x1080 dashboard (Liberation Sans 13px)
function dashboard() {
  const nav = ['Overview', 'Pipelines', 'Releases', 'Artifacts', 'Settings'];
  const side = [
    ['Projects', ['loupe', 'loupe-models', 'docs-site', 'infra']],
    ['Views', ['My pipelines', 'Failed in last 24h', 'Scheduled']],
  ];
  const cols = ['Pipeline', 'Branch', 'Status', 'Duration', 'Started', 'Triggered by'];
  const rows = [
    ['unit-tests #4812', 'main', 'Passed', '3m 12s', '09:41', 'ada'],
    ['integration #4811', 'feature/ocr', 'Failed', '11m 05s', '09:37', 'grace'],
    ['e2e-code-server #977', 'main', 'Running', '6m 48s', '09:35', 'scheduler'],
    ['package-vsix #455', 'release/0.2', 'Passed', '2m 40s', '09:20', 'linus'],
    ['lint #4810', 'fix/alt-text-diagnostics', 'Passed', '58s', '09:18', 'barbara'],
    ['unit-tests #4809', 'feature/ocr', 'Passed', '3m 07s', '09:02', 'grace'],
    ['benchmarks #121', 'main', 'Queued', '-', '08:55', 'scheduler'],
    ['integration #4808', 'main', 'Passed', '10m 51s', '08:44', 'ada'],
    ['docs-build #733', 'docs/ocr-metrics', 'Passed', '1m 22s', '08:30', 'margaret'],
    ['e2e-code-server #976', 'release/0.2', 'Cancelled', '4m 10s', '08:12', 'linus'],
    ['unit-tests #4807', 'fix/worker-restart', 'Passed', '3m 15s', '07:58', 'edsger'],
    ['integration #4806', 'fix/worker-restart', 'Failed', '9m 33s', '07:49', 'edsger'],
  ];
  const activity = [
    ['grace pushed 2 commits to feature/ocr', '4 minutes ago'],
    ['ada merged pull request #318', '22 minutes ago'],
    ['linus created release v0.2.0-rc.1', '1 hour ago'],
    ['edsger opened issue #320: worker restarts twice', '2 hours ago'],
    ['margaret updated docs/ocr.md', '3 hours ago'],
  ];
  const status = { Passed: '#1a7f37', Failed: '#cf222e', Running: '#9a6700', Queued: '#57606a', Cancelled: '#57606a' };
  const html = page(
    `<div class="top"><span class="brand">Loupe CI</span>${nav.map((n, i) => `<span class="nav${i === 1 ? ' on' : ''}">${n}</span>`).join('')}<span class="grow"></span><span class="search">Search pipelines</span><span class="user">ada</span></div>
    <div class="wrap">
      <div class="side">${side.map(([h, items]) => `<div class="sh">${h}</div>${items.map((i) => `<div class="si">${esc(i)}</div>`).join('')}`).join('')}</div>
      <div class="main">
        <div class="h1">Pipelines</div>
        <div class="sub">12 runs today, 2 failed. Showing the latest runs across all branches.</div>
        <table><tr>${cols.map((c) => `<th>${c}</th>`).join('')}</tr>
        ${rows.map((r) => `<tr>${r.map((c, i) => `<td${i === 2 ? ` style="color:${status[c]}"` : ''}>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>
      </div>
      <div class="right"><div class="rh">Recent activity</div>${activity.map(([a, t]) => `<div class="act"><div>${esc(a)}</div><div class="t">${t}</div></div>`).join('')}</div>
    </div>
    <div class="status"><span>Connected to ci.example.com</span><span class="grow"></span><span>3 runners online</span><span>Last sync 09:42</span></div>`,
    `body{font:13px 'Liberation Sans';color:#1f2328;background:#fff;width:1920px;height:1080px;position:relative}
     .top{height:52px;background:#24292f;color:#fff;display:flex;align-items:center;padding:0 24px;gap:28px}
     .brand{font-weight:bold;font-size:15px}.nav{color:#c9d1d9}.nav.on{color:#fff;font-weight:bold}.grow{flex:1}
     .search{background:#32383f;border-radius:5px;padding:6px 12px;width:280px;color:#9198a1}
     .wrap{display:flex}
     .side{width:230px;padding:22px 20px;border-right:1px solid #d8dee4;height:996px}
     .sh{font-weight:bold;color:#57606a;margin:6px 0 10px;font-size:12px}.si{padding:7px 0}
     .side .sh:nth-child(n+2){margin-top:22px}
     .main{width:1240px;padding:24px 40px}
     .h1{font-size:22px;font-weight:bold}.sub{color:#57606a;margin:8px 0 20px}
     table{border-collapse:collapse;width:1100px}th{text-align:left;font-weight:bold;color:#57606a;font-size:12px;padding:8px 10px;border-bottom:1px solid #d8dee4}
     td{padding:9px 10px;border-bottom:1px solid #eaeef2}
     .right{width:450px;padding:24px 28px;border-left:1px solid #d8dee4;height:996px}
     .rh{font-weight:bold;font-size:15px;margin-bottom:16px}.act{margin-bottom:18px}.t{color:#57606a;font-size:12px;margin-top:3px}
     .status{position:absolute;bottom:0;left:0;right:0;height:28px;background:#f6f8fa;border-top:1px solid #d8dee4;display:flex;align-items:center;padding:0 16px;gap:24px;font-size:12px;color:#57606a}`,
  );
  const text = truth([
    ['Loupe CI ' + nav.join(' ') + ' Search pipelines ada'],
    side.flatMap(([h, items]) => [h, ...items]),
    ['Pipelines', '12 runs today, 2 failed. Showing the latest runs across all branches.'],
    [cols.join(' '), ...rows.map((r) => r.join(' '))],
    ['Recent activity', ...activity.flat()],
    ['Connected to ci.example.com 3 runners online Last sync 09:42'],
  ]);
  return { name: 'dashboard-1920', html, width: 1920, height: 1080, kind: 'ui', text, scales: [1] };
}

// ----------------------------------------------------------------
function checkFonts() {
  const families = execFileSync('fc-list', [':', 'family'], { encoding: 'utf8' });
  const missing = REQUIRED_FONTS.filter((f) => !families.includes(f));
  if (missing.length) {
    throw new Error(`Missing fonts: ${missing.join(', ')}. Install: apt-get install fonts-dejavu-core fonts-liberation`);
  }
}

async function main() {
  checkFonts();
  mkdirSync(OUT_DIR, { recursive: true });
  // Earlier renderings only (NAME@SCALEx.png/.txt): the set is rebuilt whole.
  for (const f of readdirSync(OUT_DIR)) if (/@[\d.]+x\.(png|txt)$/.test(f)) rmSync(join(OUT_DIR, f));
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const manifest = [];
  try {
    for (const fixture of [settingsDialog(), signupForm(), errorDialog(), terminal(), barChart(), lineChart(), diagram(), dashboard()]) {
      for (const scale of SCALES ?? fixture.scales ?? [1, 2]) {
        const context = await browser.newContext({
          viewport: { width: fixture.width, height: fixture.height },
          deviceScaleFactor: scale,
        });
        const tab = await context.newPage();
        await tab.setContent(fixture.html, { waitUntil: 'load' });
        await tab.evaluate(() => document.fonts.ready);
        const shot = await tab.screenshot({ type: 'png' });
        await context.close();
        const name = `${fixture.name}@${scale}x`;
        const png = await sharp(shot).removeAlpha().png({ compressionLevel: 9, adaptiveFiltering: true }).toBuffer();
        writeFileSync(join(OUT_DIR, `${name}.png`), png);
        writeFileSync(join(OUT_DIR, `${name}.txt`), fixture.text);
        const { width, height } = await sharp(png).metadata();
        manifest.push({ name, kind: fixture.kind, scale, width, height });
        console.log(`${name}.png ${(png.length / 1024).toFixed(0)} KB`);
      }
    }
  } finally {
    await browser.close();
  }
  writeFileSync(join(OUT_DIR, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
}

await main();

// The dashboard's two pages. The overview: spend or tokens per day for 30 days (the deployment's,
// or one model's), the period's top users (the usage index) and top models (the rollups), and the
// usage table, loaded page by page with the API's `next` cursor, never all at once; service keys. A user's page
// (#user=<id>): their own chart, limits, keys, requests (paged the same way) and events. Creating,
// disabling and deleting users. Charts are plain SVG: thirty bars need no library, and the page
// stays offline files with no build step.
/* global T, t, lang:writable, $, api, current:writable, openUser, renderUsage, textRow, when, k, usd, translate, start, logout, renderKeys */
Object.assign(T.en, { perDay: 'Per day, last 30 days', allModels: 'all models', topUsers: 'Top users', topModels: 'Top models', more: 'More',
  back: '← All users', shown: 'shown', of: 'of', newUserId: 'New user id', createUser: 'Create user', disableUser: 'Disable', enableUser: 'Enable',
  deleteUser: 'Delete user', disabled: 'disabled', confirmDelete: 'Delete this user and revoke its keys?', noUsage: 'no usage yet', in30: 'in 30 days:' });
Object.assign(T.ru, { perDay: 'По дням, последние 30 дней', allModels: 'все модели', topUsers: 'Главные пользователи', topModels: 'Главные модели', more: 'Ещё',
  back: '← Все пользователи', shown: 'показано', of: 'из', newUserId: 'Ид. нового пользователя', createUser: 'Создать пользователя', disableUser: 'Отключить', enableUser: 'Включить',
  deleteUser: 'Удалить пользователя', disabled: 'отключён', confirmDelete: 'Удалить пользователя и отозвать его ключи?', noUsage: 'расхода пока нет', in30: 'за 30 дней:' });

const PAGE = 50;
const DAY = 86400000;
let rows = [], next = null, pages = 1, sort = 'id', order = 'asc', ledgerNext = null, chartModel = null;
const metric = () => $('#metric').value;
const fmt = (v) => (metric() === 'spend_micros' ? usd(v) : k(v));
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const userQ = () => encodeURIComponent(current);

/** The first UTC day of the period the window select names (rollups are per UTC day). */
function periodStart() {
  const d = new Date();
  return $('#window').value === 'day' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

function drawChart(svg, days) {
  const today = Math.floor(Date.now() / DAY) * DAY;
  const byDate = new Map(days.map((d) => [d.date, d[metric()]]));
  const dates = Array.from({ length: 30 }, (_, i) => isoDay(today - (29 - i) * DAY));
  const max = Math.max(1, ...dates.map((d) => byDate.get(d) ?? 0));
  svg.innerHTML = '';
  dates.forEach((date, i) => {
    const v = byDate.get(date) ?? 0;
    const r = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
    const h = (v / max) * 95;
    Object.entries({ x: i * 10 + 1, y: 100 - h, width: 8, height: Math.max(h, 0.5) }).forEach(([a, n]) => r.setAttribute(a, String(n)));
    r.dataset.date = date;
    r.dataset.value = String(v);
    const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
    title.textContent = `${date}: ${fmt(v)}`;
    r.appendChild(title);
    svg.appendChild(r);
  });
  svg.setAttribute('aria-label', `${t('perDay')}: ${fmt(max)} max`);
  return dates.reduce((sum, d) => sum + (byDate.get(d) ?? 0), 0);
}

/** A two-column ranking (name, amount); a click on a row does `pick`. */
function ranking(table, entries, pick) {
  const body = table.querySelector('tbody');
  body.innerHTML = '';
  if (entries.length === 0) body.appendChild(textRow([t('noUsage'), '']));
  for (const [name, value] of entries) {
    const tr = textRow([name, fmt(value)]);
    tr.className = 'link';
    tr.dataset.name = name;
    tr.lastChild.className = 'num';
    tr.onclick = () => pick(name);
    body.appendChild(tr);
  }
}

async function drawOverview() {
  const m = metric();
  const [all, top, period] = await Promise.all([
    api('GET', `/admin/usage/history${chartModel ? `?model=${encodeURIComponent(chartModel)}` : ''}`),
    api('GET', `/admin/usage?window=${$('#window').value}&sort=${m}&limit=5`),
    api('GET', `/admin/usage/history?from=${isoDay(periodStart())}`)]);
  drawChart($('#chart'), all.days);
  $('#chartof').textContent = chartModel ?? t('allModels');
  for (const el of document.querySelectorAll('#top .period')) el.textContent = `(${t($('#window').value === 'day' ? 'today' : 'month').toLowerCase()})`;
  ranking($('#topusers'), top.users.filter((u) => u[m] > 0).map((u) => [u.id, u[m]]), showUser);
  const models = {};
  for (const d of period.days) for (const [name, r] of Object.entries(d.models)) models[name] = (models[name] ?? 0) + r[m];
  const byModel = Object.entries(models).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).slice(0, 5);
  // A model's row charts that model alone; a second click, every model again.
  ranking($('#topmodels'), byModel, (name) => { chartModel = chartModel === name ? null : name; guard(drawOverview)(); });
}

function usagePage(cursor) {
  const q = new URLSearchParams({ window: $('#window').value, limit: String(PAGE), sort, order });
  if (cursor) q.set('cursor', cursor);
  return api('GET', `/admin/usage?${q}`);
}

function showUsage(total) {
  renderUsage(rows);
  $('#more').classList.toggle('hidden', next === null);
  $('#shown').textContent = `${rows.length} ${total === undefined ? '' : `${t('of')} ${total} `}${t('shown')}`;
}

/** The pages loaded so far, again: a refresh keeps what the operator asked for, and never loads more. */
async function loadUsage() {
  const fresh = [];
  let cursor = null, total;
  for (let i = 0; i < pages; i++) {
    const r = await usagePage(cursor);
    fresh.push(...r.users);
    cursor = r.next;
    total = r.total;
    if (cursor === null) break;
  }
  rows = fresh;
  next = cursor;
  showUsage(total);
}

async function loadLedger(cursor) {
  const r = await api('GET', `/admin/ledger?user=${userQ()}&limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
  if (!cursor) $('#ledger tbody').innerHTML = '';
  for (const x of r.records) $('#ledger tbody').appendChild(textRow([when(x.time), x.model ?? '-', x.promptTokens + x.completionTokens, usd(x.costMicros), x.outcome]));
  ledgerNext = r.next;
  $('#ledgermore').classList.toggle('hidden', ledgerNext === null);
}

async function userPage(id, quiet) {
  await openUser(id, quiet);
  const [h] = await Promise.all([api('GET', `/admin/usage/history?user=${userQ()}`), loadLedger(null)]);
  $('#utotal').textContent = `${t('in30')} ${fmt(drawChart($('#uchart'), h.days))}`;
}

function showUser(id) {
  location.hash = `user=${encodeURIComponent(id)}`;
}

/** Shows the page the address names (#user=<id>, else the overview) with fresh figures. */
async function refresh(quiet = true) {
  const m = /^#user=(.+)$/.exec(location.hash);
  const id = m ? decodeURIComponent(m[1]) : null;
  $('#overview').classList.toggle('hidden', id !== null);
  $('#user').classList.toggle('hidden', id === null);
  if (id !== null) await userPage(id, quiet && id === current);
  else {
    current = null;
    await Promise.all([loadUsage(), drawOverview(), api('GET', '/admin/service-keys').then((r) => renderKeys(r.keys, $('#servicekeys tbody')))]);
  }
  $('#updated').textContent = `${t('updated')} ${new Date().toLocaleTimeString(lang)}`;
}

/** A handler whose failure is shown rather than lost. */
const guard = (fn) => async (...args) => {
  try {
    $('#problem').textContent = '';
    await fn(...args);
  } catch (err) {
    $('#problem').textContent = err.message;
  }
};

function markSort() {
  for (const th of document.querySelectorAll('#usage th[data-sort]')) th.dataset.dir = th.dataset.sort === sort ? order : '';
}

for (const th of document.querySelectorAll('#usage th[data-sort]')) {
  th.onclick = guard(async () => {
    const s = th.dataset.sort;
    if (s === sort && s === 'id') return;
    // Sorted by an amount, the API pages the usage index (users with usage in the period).
    order = s === sort ? (order === 'desc' ? 'asc' : 'desc') : s === 'id' ? 'asc' : 'desc';
    sort = s;
    pages = 1;
    markSort();
    await loadUsage();
  });
}
$('#more').onclick = guard(async () => {
  const r = await usagePage(next);
  rows.push(...r.users);
  next = r.next;
  pages++;
  showUsage(r.total);
});
$('#ledgermore').onclick = guard(() => loadLedger(ledgerNext));
$('#filter').oninput = () => renderUsage(rows);
$('#filter').onkeydown = (e) => { if (e.key === 'Enter' && e.target.value.trim()) showUser(e.target.value.trim()); };
$('#back').onclick = () => { location.hash = ''; };
window.onhashchange = guard(() => refresh());
$('#refresh').onclick = guard(() => refresh());
$('#window').onchange = guard(() => { pages = 1; return refresh(); });
$('#metric').onchange = guard(() => refresh());
$('#lang').onchange = guard(async () => {
  lang = $('#lang').value;
  localStorage.setItem('tg-lang', lang);
  translate();
  $('#saved').textContent = '';
  if (sessionStorage.getItem('tg-admin')) await refresh(false);
});
$('#newuser').onsubmit = guard(async (e) => {
  e.preventDefault();
  await api('POST', '/admin/users', { id: $('#newid').value.trim() });
  $('#newid').value = '';
  await refresh();
});
$('#disable').onclick = guard(async () => {
  await api('PATCH', `/admin/users/${userQ()}`, { disabled: $('#disable').dataset.disabled !== 'true' });
  await refresh();
});
$('#deluser').onclick = guard(async () => {
  if (!confirm(t('confirmDelete'))) return;
  await api('DELETE', `/admin/users/${userQ()}`);
  location.hash = '';
});

markSort();
translate();
if (sessionStorage.getItem('tg-admin')) start().catch(logout);

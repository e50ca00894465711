// The dashboard's keys tables (a user's page, and service keys on the overview): name, key,
// created, last used, expiry and the key's own limits; create (shown once), set limits, revoke. Last use is written by the gateway every
// auth.key_use_flush_ms (10 s), and a listing writes what this gateway noted first.
/* global T, t, lang, $, api, current, openUser, when, refresh */
Object.assign(T.en, { keyName: 'Name', keyId: 'Key', created: 'Created', lastUsed: 'Last used', neverUsed: 'never used',
  keyNameHint: 'Name of a new key (optional)', createKey: 'Create key', revoke: 'Revoke', set: 'Set',
  newKey: 'New key (shown once, copy it now):', keyLimits: "Key's own limits (name=value …)",
  serviceKeys: 'Service keys (act for the end user each request names)' });
Object.assign(T.ru, { keyName: 'Название', keyId: 'Ключ', created: 'Создан', lastUsed: 'Последнее использование', neverUsed: 'не использовался',
  keyNameHint: 'Название нового ключа (необязательно)', createKey: 'Создать ключ', revoke: 'Отозвать', set: 'Задать',
  newKey: 'Новый ключ (показывается один раз, скопируйте сейчас):', keyLimits: 'Свои лимиты ключа (имя=значение …)',
  serviceKeys: 'Сервисные ключи (действуют за пользователя, названного в запросе)' });

const UNITS = [['year', 31536000], ['month', 2592000], ['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]];

/** "5 minutes ago" in the page's language (Intl), for a time in the past. */
function ago(iso) {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  const [unit, size] = UNITS.find(([, size]) => s >= size) ?? ['second', 1];
  return new Intl.RelativeTimeFormat(lang, { numeric: 'auto' }).format(-Math.floor(s / size), unit);
}

/** The cell of a key's own limits: "name=value" words, and Set. */
function ownLimits(key, cell, again) {
  const own = cell.querySelector('.klimits');
  own.value = Object.entries(key.limits || {}).map(([k, v]) => `${k}=${v}`).join(' ');
  const set = cell.querySelector('.kset');
  set.textContent = t('set');
  set.onclick = async () => {
    // A limit left out is removed (null), so the field shows the whole set.
    const limits = Object.fromEntries(Object.keys(key.limits || {}).map((k) => [k, null]));
    for (const w of own.value.split(/[\s,]+/).filter(Boolean)) { const [k, v] = w.split('='); limits[k] = v === 'null' || v === '' ? null : Number(v); }
    await api('PATCH', `/admin/keys/${encodeURIComponent(key.keyId)}`, { limits });
    await again();
  };
}

/** A user's keys (into #keys), or the service keys (which have no limits of their own). */
function renderKeys(keys, body = $('#keys tbody')) {
  const service = body !== $('#keys tbody');
  const again = () => (service ? refresh() : openUser(current, true));
  body.innerHTML = '';
  for (const key of keys) {
    const tr = document.createElement('tr');
    tr.dataset.key = key.keyId;
    tr.innerHTML = '<td></td><td></td><td></td><td class="lastused"></td><td></td><td><input class="klimits" size="24"> <button class="kset"></button></td><td><button class="krevoke"></button></td>';
    const cells = tr.children;
    cells[0].textContent = key.name ?? '-';
    cells[1].textContent = `${key.prefix}… (${key.keyId})`;
    cells[2].textContent = when(key.createdAt);
    cells[3].textContent = key.lastUsedAt ? ago(key.lastUsedAt) : t('neverUsed');
    cells[3].title = key.lastUsedAt ? when(key.lastUsedAt) : '';
    cells[3].dataset.lastUsed = key.lastUsedAt ?? '';
    cells[4].textContent = key.expiresAt ? when(key.expiresAt) : t('never');
    if (service) cells[5].textContent = '-';
    else ownLimits(key, cells[5], again);
    const revoke = tr.querySelector('.krevoke');
    revoke.textContent = t('revoke');
    revoke.onclick = async () => { await api('DELETE', `/admin/keys/${encodeURIComponent(key.keyId)}`); await again(); };
    body.appendChild(tr);
  }
}

$('#newkeyform').onsubmit = async (e) => {
  e.preventDefault();
  const name = $('#keyname').value.trim();
  const key = await api('POST', `/admin/users/${encodeURIComponent(current)}/keys`, name ? { name } : {});
  $('#keyname').value = '';
  $('#shownkey').textContent = `${t('newKey')} ${key.key}`;
  $('#shownkey').classList.remove('hidden');
  await openUser(current, true);
};

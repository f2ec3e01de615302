// Sandbox mailbox viewer: lists /v1/sandbox/messages with the API key kept in localStorage and
// shows the selected message (HTML in a sandboxed iframe, headers, text part, raw source).
(function () {
  'use strict';
  const KEY = 'fluenzr.sandbox.apiKey';
  const PER_PAGE = 50;
  const byId = (id) => document.getElementById(id);
  let page = 1;
  let totalPages = 0;
  let selected = null;

  function status(text, isError) {
    const el = byId('status');
    el.textContent = text || '';
    el.classList.toggle('error', !!isError);
  }

  function el(tag, props, children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    (children || []).forEach((child) => node.append(child));
    return node;
  }

  async function api(method, path) {
    const key = localStorage.getItem(KEY);
    const res = await fetch(path, { method, headers: { Authorization: 'Bearer ' + key, Accept: 'application/json' }, cache: 'no-store' });
    const body = await res.json().catch(() => null);
    if (res.status === 401) { forget(); throw new Error('The API key was refused: enter another one.'); }
    if (!res.ok || !body || !body.success) {
      throw new Error((body && body.error && body.error.message) || ('HTTP ' + res.status));
    }
    return body;
  }

  function askForKey() {
    byId('mailbox').hidden = true;
    byId('key-form').hidden = false;
    byId('key').focus();
  }

  function forget() {
    localStorage.removeItem(KEY);
    askForKey();
  }

  async function load() {
    if (!localStorage.getItem(KEY)) { askForKey(); return; }
    byId('key-form').hidden = true;
    byId('mailbox').hidden = false;
    status('Loading…');
    try {
      const body = await api('GET', '/v1/sandbox/messages?perPage=' + PER_PAGE + '&page=' + page);
      totalPages = body.meta.totalPages;
      renderList(body.data);
      byId('page').textContent = totalPages ? page + ' / ' + totalPages : '';
      byId('prev').disabled = page <= 1;
      byId('next').disabled = page >= totalPages;
      status(body.meta.total + ' message' + (body.meta.total === 1 ? '' : 's'));
    } catch (error) {
      status(error.message, true);
    }
  }

  function renderList(messages) {
    const list = byId('messages');
    list.replaceChildren();
    if (!messages.length) {
      list.append(el('li', { className: 'empty', textContent: 'No messages yet.' }));
      return;
    }
    messages.forEach((m) => {
      const item = el('li', { className: m.id === selected ? 'selected' : '' }, [
        el('div', { className: 'subject', textContent: m.subject || '(no subject)' }),
        el('div', { className: 'meta', textContent: 'To ' + m.to + ' · ' + new Date(m.createdAt).toLocaleString() }),
      ]);
      item.dataset.id = m.id;
      item.addEventListener('click', () => show(m.id));
      list.append(item);
    });
  }

  async function show(id) {
    selected = id;
    document.querySelectorAll('#messages li').forEach((li) => li.classList.toggle('selected', li.dataset.id === id));
    const pane = byId('message');
    pane.replaceChildren(el('p', { className: 'empty', textContent: 'Loading…' }));
    try {
      const m = (await api('GET', '/v1/sandbox/messages/' + encodeURIComponent(id))).data;
      const frame = el('iframe', { title: 'HTML part' });
      // An empty sandbox attribute: no scripts, no forms, no navigation from the message.
      frame.setAttribute('sandbox', '');
      frame.srcdoc = m.html;
      const headers = el('table', { className: 'headers' });
      m.headers.forEach((h) => headers.append(el('tr', {}, [el('th', { textContent: h.name }), el('td', { textContent: h.value })])));
      pane.replaceChildren(
        el('h2', { textContent: m.subject || '(no subject)' }),
        el('p', { className: 'meta', textContent: 'From ' + m.from + ' to ' + m.to + ' · ' + m.createdAt }),
        frame,
        el('h3', { textContent: 'Headers' }), headers,
        el('h3', { textContent: 'Text part' }), el('pre', { textContent: m.text }),
        el('details', {}, [el('summary', { textContent: 'Raw source' }), el('pre', { textContent: m.raw })]),
      );
    } catch (error) {
      pane.replaceChildren(el('p', { className: 'empty', textContent: error.message }));
    }
  }

  byId('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = byId('key').value.trim();
    if (!key) return;
    localStorage.setItem(KEY, key);
    byId('key').value = '';
    page = 1;
    load();
  });
  byId('refresh').addEventListener('click', load);
  byId('forget').addEventListener('click', forget);
  byId('prev').addEventListener('click', () => { if (page > 1) { page -= 1; load(); } });
  byId('next').addEventListener('click', () => { if (page < totalPages) { page += 1; load(); } });
  byId('clear').addEventListener('click', async () => {
    if (!confirm('Delete every sandbox message of this workspace?')) return;
    try {
      const body = await api('DELETE', '/v1/sandbox/messages');
      selected = null;
      byId('message').replaceChildren(el('p', { className: 'empty', textContent: body.data.deleted + ' deleted.' }));
      page = 1;
      load();
    } catch (error) {
      status(error.message, true);
    }
  });
  load();
})();

// The playground page: a Teams-like chat with Switchboard as one of the demo identities. Messages and
// card clicks go to /playground/send, which sends them to the bot as the Teams channel would; the
// bot's replies and card updates come back as server-sent events from /playground/events.
'use strict';
(function () {
  const AC = window.AdaptiveCards;
  const cardType = 'application/vnd.microsoft.card.adaptive';
  const fileType = 'application/vnd.microsoft.teams.file.download.info';

  const state = {
    tenantId: '',
    identities: [],
    conversations: [],
    messages: {},
    me: localStorage.getItem('pg.identity') || 'alice',
    conversationId: '',
    theme: localStorage.getItem('pg.theme') || 'light',
    // A card an invoke answered with replaces that card for the person who clicked (as in Teams), until the bot updates it for everyone.
    overrides: {},
    // One-line answers to a click (refusals), shown under the card to the person who clicked.
    notices: {},
    unread: {},
    file: null,
  };

  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  };

  function escapeHtml(s) {
    return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  }
  // Teams renders a little markdown in text; bold is what Switchboard uses.
  function miniMarkdown(text) {
    return escapeHtml(text).replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>').replace(/\n/g, '<br>');
  }
  AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
    result.outputHtml = miniMarkdown(text);
    result.didProcess = true;
  };

  const me = () => state.identities.find((i) => i.key === state.me);
  const conversation = () => state.conversations.find((c) => c.id === state.conversationId);
  const myConversations = () => state.conversations.filter((c) => c.members.includes(state.me));
  const key = (messageId) => `${state.me}|${messageId}`;

  async function post(path, body) {
    const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(json.error || `HTTP ${res.status}`);
    return json;
  }

  function renderIdentities() {
    const list = $('identities');
    list.replaceChildren(
      ...state.identities.map((i) => {
        const selected = i.key === state.me;
        const role = i.isApprover ? 'approver' : i.role === 'approver' ? 'not an approver' : i.role;
        return el(
          'li',
          {},
          el(
            'button',
            { type: 'button', role: 'radio', 'aria-checked': selected ? 'true' : 'false', class: `identity${selected ? ' selected' : ''}`, 'data-identity': i.key, onclick: () => switchIdentity(i.key) },
            el('span', { class: 'avatar', 'aria-hidden': 'true', text: i.name.split(' ').map((w) => w[0]).join('') }),
            el('span', { class: 'who' }, el('span', { class: 'name', text: i.name }), el('span', { class: `role role-${role.replace(/ /g, '-')}`, text: role })),
          ),
        );
      }),
    );
  }

  function renderConversations() {
    $('conversations').replaceChildren(
      ...myConversations().map((c) => {
        const unread = state.unread[key(c.id)] || 0;
        return el(
          'li',
          {},
          el(
            'button',
            { type: 'button', class: `conversation${c.id === state.conversationId ? ' selected' : ''}`, 'data-conversation': c.type, 'aria-current': c.id === state.conversationId ? 'true' : null, onclick: () => openConversation(c.id) },
            el('span', { class: 'title', text: c.title }),
            unread ? el('span', { class: 'unread', 'aria-label': `${unread} new`, text: String(unread) }) : null,
          ),
        );
      }),
    );
  }

  function renderCard(message, attachment) {
    const override = state.overrides[key(message.id)];
    const json = override ? override.card : attachment.content;
    const card = new AC.AdaptiveCard();
    card.hostConfig = new AC.HostConfig(window.teamsHostConfig[state.theme]);
    card.onExecuteAction = (action) => onCardAction(message, action);
    card.parse(json);
    const rendered = card.render();
    const full = json && json.msteams && json.msteams.width === 'Full';
    const box = el('div', { class: `card${full ? ' full' : ''}`, 'data-card-version': json && json.version });
    if (rendered) box.append(rendered);
    return box;
  }

  function renderMessage(message) {
    const mine = message.from === state.me;
    const parts = [];
    if (message.text) {
      const text = message.text.replace(/^<at>[^<]*<\/at>\s*/, '');
      const body = el('div', { class: 'text' });
      body.innerHTML = (message.from === 'bot' ? '' : conversation() && conversation().type === 'channel' ? '<span class="mention">@Switchboard</span> ' : '') + miniMarkdown(text);
      parts.push(body);
    }
    if (message.value && !message.text) parts.push(el('div', { class: 'text subtle', text: 'Responded on a card' }));
    for (const a of message.attachments || []) {
      if (a.contentType === cardType) parts.push(renderCard(message, a));
      else if (a.contentType === fileType || a.contentType === 'text/csv') parts.push(el('a', { class: 'file', href: a.contentUrl || '#', download: a.name, text: `File: ${a.name || 'file'}` }));
    }
    const notice = state.notices[key(message.id)];
    if (notice) parts.push(el('div', { class: `notice${notice.error ? ' error' : ''}`, role: 'status', text: notice.text }));
    const time = new Date(message.updatedAt || message.timestamp).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    return el(
      'li',
      { class: `message ${message.from === 'bot' ? 'bot' : mine ? 'mine' : 'other'}`, 'data-id': message.id, 'data-from': message.from },
      el('div', { class: 'meta' }, el('span', { class: 'author', text: mine ? 'You' : message.fromName }), el('span', { class: 'time', text: time + (message.updatedAt ? ' · edited' : '') })),
      ...parts,
    );
  }

  function renderMessages() {
    const list = $('messages');
    const messages = state.messages[state.conversationId] || [];
    list.replaceChildren(...messages.map(renderMessage));
    if (!messages.length) list.append(el('li', { class: 'empty', text: 'No messages yet. Type help to see what Switchboard can do.' }));
    list.scrollTop = list.scrollHeight;
  }

  function rerenderOne(messageId) {
    const message = (state.messages[state.conversationId] || []).find((m) => m.id === messageId);
    const old = document.querySelector(`#messages [data-id="${CSS.escape(messageId)}"]`);
    if (message && old) old.replaceWith(renderMessage(message));
  }

  function renderAll() {
    document.documentElement.dataset.theme = state.theme;
    $('theme').textContent = state.theme === 'dark' ? 'Light theme' : 'Dark theme';
    $('theme').setAttribute('aria-pressed', state.theme === 'dark' ? 'true' : 'false');
    const c = conversation();
    $('conversation-title').textContent = c ? `${c.title} — as ${me().name}` : '';
    renderIdentities();
    renderConversations();
    renderMessages();
  }

  function switchIdentity(identityKey) {
    state.me = identityKey;
    localStorage.setItem('pg.identity', identityKey);
    const same = myConversations().find((c) => c.type === (conversation() || {}).type);
    openConversation((same || myConversations()[0]).id);
  }

  function openConversation(id) {
    state.conversationId = id;
    delete state.unread[key(id)];
    renderAll();
    $('text').focus();
  }

  async function onCardAction(message, action) {
    const c = conversation();
    const box = document.querySelector(`#messages [data-id="${CSS.escape(message.id)}"]`);
    if (box) box.classList.add('busy');
    delete state.notices[key(message.id)];
    try {
      if (action instanceof AC.ExecuteAction) {
        // Teams sends Action.Execute as an adaptiveCard/action invoke and shows the card in the answer in place.
        const versionAtClick = message.updatedAt || '';
        const answer = await post('/playground/send', { kind: 'invoke', identity: state.me, conversationId: c.id, replyToId: message.id, verb: action.verb, data: action.data || {}, ...(action.id ? { actionId: action.id } : {}) });
        const body = answer.body || {};
        const current = (state.messages[c.id] || []).find((m) => m.id === message.id) || message;
        if (body.type === cardType) {
          // The bot may already have updated the card for everyone; its update is at least as new.
          if ((current.updatedAt || '') === versionAtClick) state.overrides[key(message.id)] = { card: body.value };
        } else if (body.type === 'application/vnd.microsoft.activity.message') {
          state.notices[key(message.id)] = { text: String(body.value) };
        } else if (answer.status !== 200 || body.statusCode >= 400) {
          state.notices[key(message.id)] = { text: `Something went wrong (${(body.value && body.value.message) || answer.status}).`, error: true };
        }
      } else if (action instanceof AC.SubmitAction) {
        // Action.Submit arrives as a message whose value is the data and the inputs.
        await post('/playground/send', { kind: 'message', identity: state.me, conversationId: c.id, replyToId: message.id, value: action.data || {} });
      } else if (action instanceof AC.OpenUrlAction) {
        window.open(action.url, '_blank', 'noopener');
      }
    } catch (err) {
      state.notices[key(message.id)] = { text: `Could not send: ${err.message}`, error: true };
    }
    if (state.conversationId === c.id) rerenderOne(message.id);
  }

  function apply(event) {
    if (event.op === 'reset') return load();
    const m = event.message;
    const list = (state.messages[m.conversationId] = state.messages[m.conversationId] || []);
    if (event.op === 'add') {
      if (list.some((x) => x.id === m.id)) return;
      list.push(m);
      if (m.conversationId === state.conversationId) {
        const empty = document.querySelector('#messages .empty');
        if (empty) empty.remove();
        const node = renderMessage(m);
        $('messages').append(node);
        $('messages').scrollTop = $('messages').scrollHeight;
      } else {
        // New messages elsewhere (a proactive notice in another chat) show as a count next to that chat.
        const c = state.conversations.find((x) => x.id === m.conversationId);
        if (c && c.members.includes(state.me) && m.from !== state.me) {
          state.unread[key(c.id)] = (state.unread[key(c.id)] || 0) + 1;
          renderConversations();
        }
      }
    } else if (event.op === 'update') {
      const i = list.findIndex((x) => x.id === m.id);
      if (i >= 0) list[i] = m;
      else list.push(m);
      // The bot's update is for everyone and newer than any click's answer or refusal.
      for (const identity of state.identities) {
        delete state.overrides[`${identity.key}|${m.id}`];
        delete state.notices[`${identity.key}|${m.id}`];
      }
      if (m.conversationId === state.conversationId) rerenderOne(m.id);
    }
  }

  async function load() {
    const res = await fetch('/playground/state');
    const s = await res.json();
    state.tenantId = s.tenantId;
    state.identities = s.identities;
    state.conversations = s.conversations;
    state.messages = s.messages;
    if (!state.identities.some((i) => i.key === state.me)) state.me = state.identities[0].key;
    if (!myConversations().some((c) => c.id === state.conversationId)) state.conversationId = myConversations()[0].id;
    renderAll();
  }

  $('composer').addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = $('text').value.trim();
    const file = state.file;
    if (!text && !file) return;
    $('text').value = '';
    state.file = null;
    $('file').value = '';
    $('file-name').textContent = '';
    try {
      await post('/playground/send', { kind: 'message', identity: state.me, conversationId: state.conversationId, text, ...(file ? { file } : {}) });
    } catch (err) {
      $('messages').append(el('li', { class: 'empty error', text: `Could not send: ${err.message}` }));
    }
  });

  $('file').addEventListener('change', async () => {
    const f = $('file').files[0];
    if (!f) return;
    state.file = { name: f.name, text: await f.text() };
    $('file-name').textContent = f.name;
  });

  $('theme').addEventListener('click', () => {
    state.theme = state.theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem('pg.theme', state.theme);
    renderAll();
  });

  let connectedOnce = false;
  function listen() {
    const events = new EventSource('/playground/events');
    events.onmessage = (e) => apply(JSON.parse(e.data));
    // After a reconnect (the bot restarted) the page reloads the state it may have missed.
    events.onopen = () => {
      if (connectedOnce) void load();
      connectedOnce = true;
      document.documentElement.dataset.connected = 'true';
    };
    events.onerror = () => {
      document.documentElement.dataset.connected = 'false';
    };
  }

  void load().then(listen);
})();

// Live secure messaging: turns the thread page's plain form into a live chat over a WebSocket.
// Without JavaScript (or while the socket is down) the form posts normally. Messages are built with DOM APIs
// from the server's text/link parts, never with innerHTML. Close codes: 4403 access ended, 4401 signed out,
// 4429 too many messages. Strings come from Django's JavaScript catalogue (gettext, interpolate: base.html).
(function () {
  "use strict";
  const root = document.getElementById("chat");
  if (!root || root.dataset.static || !("WebSocket" in window)) return;

  const thread = document.getElementById("thread");
  const empty = document.getElementById("thread-empty");
  const form = document.getElementById("composer");
  const textarea = form ? form.querySelector("textarea") : null;
  const sendButton = form ? form.querySelector("button[type=submit]") : null;
  const statusEl = document.getElementById("chat-status");
  const typingEl = document.getElementById("typing");
  const endedEl = document.getElementById("access-ended");
  const me = Number(root.dataset.userId);
  const canEdit = root.dataset.canEdit === "1";
  const roleLabels = {
    care_team: root.dataset.roleCareTeam, family: root.dataset.roleFamily, patient: root.dataset.rolePatient,
  };
  const timeFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZone: root.dataset.tz || undefined,
  });
  const seen = new Map(); // user id -> {name, up_to}
  const pending = new Map(); // client id -> {body, timer}
  let lastId = Number(root.dataset.lastId || 0);
  let socket = null;
  let isOpen = false;
  let stopped = false;
  let attempts = 0;
  let lastTypingSent = 0;
  let typingTimer = null;

  try {
    const initial = JSON.parse(document.getElementById("seen-data").textContent || "[]");
    initial.forEach(function (s) {
      if (Number(s.user) !== me) seen.set(Number(s.user), { name: s.name, up_to: s.up_to });
    });
  } catch (e) { /* no read receipts to show */ }

  function setStatus(text) { if (statusEl) statusEl.textContent = text; }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function actionLink(template, id, label, when) {
    const a = el("a", "", label);
    a.href = template.replace("/0/", "/" + id + "/");
    a.appendChild(el("span", "visually-hidden", " " + interpolate(gettext("your message from %(when)s"), { when: when }, true)));
    return a;
  }

  function renderMessage(m) {
    const mine = m.sender.id === me;
    const li = el("li", "message" + (mine ? " message-mine" : "") + (m.deleted ? " message-deleted" : ""));
    li.id = "m" + m.id;
    li.dataset.messageId = m.id;
    const meta = el("p", "message-meta");
    meta.appendChild(el("span", "message-sender", mine ? gettext("You") : m.sender.name));
    const roleLabel = roleLabels[m.sender.role];
    if (!mine && roleLabel) {
      // The role the server knows for this account, as text (not colour alone): a name cannot claim a role.
      meta.appendChild(document.createTextNode(" "));
      meta.appendChild(el("span", "role-badge role-badge-" + m.sender.role, roleLabel));
    }
    meta.appendChild(document.createTextNode(" "));
    const when = timeFormat.format(new Date(m.created_at));
    const time = el("time", "", when);
    time.dateTime = m.created_at;
    meta.appendChild(time);
    if (m.edited && !m.deleted) {
      meta.appendChild(document.createTextNode(" "));
      meta.appendChild(el("span", "message-flag", gettext("Edited")));
    }
    li.appendChild(meta);
    if (m.deleted) {
      li.appendChild(el("p", "message-body message-removed", gettext("Message deleted")));
    } else {
      const body = el("p", "message-body");
      m.parts.forEach(function (part) {
        if (part.url) {
          const a = el("a", "", part.url);
          a.href = part.url; // the server only sends http(s) links
          a.rel = "noopener noreferrer nofollow";
          body.appendChild(a);
        } else {
          body.appendChild(document.createTextNode(part.text));
        }
      });
      li.appendChild(body);
      if (mine && canEdit) {
        const actions = el("p", "message-actions");
        actions.appendChild(actionLink(root.dataset.editUrl, m.id, gettext("Edit"), when));
        actions.appendChild(document.createTextNode(" "));
        actions.appendChild(actionLink(root.dataset.deleteUrl, m.id, gettext("Delete"), when));
        li.appendChild(actions);
      }
    }
    return li;
  }

  function upsert(m) {
    const node = renderMessage(m);
    const existing = document.getElementById("m" + m.id);
    if (existing) {
      thread.replaceChild(node, existing);
    } else {
      let before = null;
      for (const child of thread.children) {
        if (Number(child.dataset.messageId) > m.id) { before = child; break; }
      }
      thread.insertBefore(node, before);
    }
    if (empty) empty.hidden = true;
    if (m.id > lastId) lastId = m.id;
    renderSeen();
    if (m.sender.id !== me) { clearTyping(); markRead(); }
  }

  function renderSeen() {
    thread.querySelectorAll(".message-seen").forEach(function (n) { n.remove(); });
    const byMessage = new Map();
    seen.forEach(function (s, userId) {
      if (userId === me) return; // never tell people they have seen their own messages
      // A receipt sits under the newest of the viewer's own messages that this person has read.
      let target = null;
      for (const child of thread.children) {
        if (Number(child.dataset.messageId) > s.up_to) break;
        if (child.classList.contains("message-mine")) target = child;
      }
      if (target) {
        if (!byMessage.has(target)) byMessage.set(target, []);
        byMessage.get(target).push(s.name);
      }
    });
    byMessage.forEach(function (names, target) {
      target.appendChild(el("p", "message-seen", interpolate(gettext("Seen by %(names)s"), { names: names.join(", ") }, true)));
    });
  }

  function send(frame) {
    if (socket && isOpen) socket.send(JSON.stringify(frame));
  }

  function markRead() {
    if (document.visibilityState === "visible" && lastId) send({ type: "read", up_to: lastId });
  }

  function clearTyping() {
    clearTimeout(typingTimer);
    if (typingEl) typingEl.textContent = "";
  }

  function showTyping(name) {
    if (!typingEl) return;
    typingEl.textContent = interpolate(gettext("%(name)s is typing…"), { name: name }, true);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(clearTyping, 6000);
  }

  function restore(clientId, text) {
    const entry = pending.get(clientId);
    if (!entry) return;
    clearTimeout(entry.timer);
    pending.delete(clientId);
    if (textarea && !textarea.value) textarea.value = entry.body;
    setStatus(text);
    if (textarea) textarea.focus();
  }

  function endAccess(code) {
    stopped = true;
    pending.forEach(function (entry, id) { restore(id, ""); });
    clearTyping();
    if (code === 4401) {
      setStatus(gettext("You were signed out to protect your privacy. Reload the page to sign in again."));
      if (textarea) textarea.disabled = true;
      if (sendButton) sendButton.disabled = true;
      return;
    }
    if (form) form.hidden = true;
    if (endedEl) { endedEl.hidden = false; endedEl.focus(); }
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "message":
        upsert(frame.message);
        break;
      case "ack": {
        const entry = pending.get(frame.client_id);
        if (entry) { clearTimeout(entry.timer); pending.delete(frame.client_id); }
        upsert(frame.message);
        setStatus(frame.notice ? frame.notice.text : gettext("Sent."));
        break;
      }
      case "typing":
        showTyping(frame.name);
        break;
      case "read":
        if (Number(frame.user) !== me) seen.set(Number(frame.user), { name: frame.name, up_to: frame.up_to });
        renderSeen();
        break;
      case "status":
        setStatus(frame.live ? "" : gettext("Live updates are paused. Your messages are still saved; reload the page to see new replies."));
        break;
      case "resync":
        setStatus(gettext("Some messages are not shown yet. Reload the page to see them all."));
        break;
      case "error":
        if (frame.client_id) restore(frame.client_id, frame.detail || gettext("Your message was not sent."));
        else setStatus(frame.detail || gettext("Something went wrong."));
        break;
      default:
        break;
    }
  }

  function connect() {
    if (stopped) return;
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + root.dataset.wsPath);
    socket.addEventListener("open", function () {
      isOpen = true;
      attempts = 0;
      setStatus("");
      send({ type: "resume", after: lastId });
      markRead();
    });
    socket.addEventListener("message", function (event) {
      try { onFrame(JSON.parse(event.data)); } catch (e) { /* ignore a malformed frame */ }
    });
    socket.addEventListener("close", function (event) {
      isOpen = false;
      if (event.code === 4403 || event.code === 4401) { endAccess(event.code); return; }
      let delay = Math.min(30000, 1000 * Math.pow(2, attempts));
      if (event.code === 4429) {
        delay = 15000;
        setStatus(gettext("Paused because many messages were sent at once. Reconnecting shortly."));
      } else if (attempts > 0) {
        setStatus(gettext("Reconnecting… Your messages are still saved when you press Send."));
      }
      attempts += 1;
      setTimeout(connect, delay);
    });
  }

  if (form && textarea) {
    form.addEventListener("submit", function (event) {
      if (!isOpen) return; // the plain form post still works
      event.preventDefault();
      const body = textarea.value.trim();
      if (!body) { setStatus(gettext("Write a message before sending.")); textarea.focus(); return; }
      const clientId = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
      pending.set(clientId, {
        body: body,
        timer: setTimeout(function () {
          restore(clientId, gettext("Not sent yet. Check your connection and press Send again."));
        }, 10000),
      });
      send({ type: "message", body: body, client_id: clientId });
      textarea.value = "";
      setStatus(gettext("Sending…"));
    });
    const shortcut = document.getElementById("send-shortcut");
    if (shortcut) {  // the hint names the key this computer has (CSS hides it on touch screens)
      const modifier = shortcut.querySelector("[data-modifier-key]");
      if (modifier && /Mac|iPhone|iPad/.test(navigator.platform || "")) modifier.textContent = "Cmd";
      shortcut.hidden = false;
    }
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    textarea.addEventListener("input", function () {
      const now = Date.now();
      if (now - lastTypingSent > 3000 && textarea.value.trim()) {
        lastTypingSent = now;
        send({ type: "typing" });
      }
    });
  }
  if (endedEl) endedEl.tabIndex = -1;
  document.addEventListener("visibilitychange", markRead);
  renderSeen();
  connect();
})();

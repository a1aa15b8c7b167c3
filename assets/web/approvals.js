// Sign-ins waiting for this device's approval, on the Active sessions card.
// A new device that chose "Approve on another device" shows a two-digit
// number; GET auth/2fa/pending/ lists it here with three choices, and the
// user picks the number the new device shows (POST .../approve/), or
// denies it. A wrong number denies the sign-in too (the server says so).
import { $, browserName, el, parseTime, relativeTime, setMessage } from './dom.js';
import { ApiError, api, describeError, showError, state } from './client.js';

var POLL_MS = 3000;

var hooks = { loadSessions: null };
var timer = null;
var inFlight = false;
var cards = {};    // pending id -> its card element
var answered = {}; // ids answered here: a poll that raced the answer must not bring them back

function onAccount() { return document.body.getAttribute('data-view') === 'account'; }

/** startApprovals polls now and then every few seconds while the page is visible. */
export function startApprovals() {
  stopApprovals();
  timer = window.setInterval(function () { if (!document.hidden) poll(); }, POLL_MS);
  poll();
}

/** stopApprovals stops polling and removes the cards (signing out). */
export function stopApprovals() {
  if (timer) window.clearInterval(timer);
  timer = null;
  cards = {};
  answered = {};
  $('pending-signins').textContent = '';
}

function poll() {
  if (inFlight || !timer || !state.token || !onAccount()) return;
  inFlight = true;
  var epoch = state.epoch;
  api('GET', 'auth/2fa/pending/', { auth: true })
    .then(function (r) {
      if (epoch === state.epoch && timer) render(Array.isArray(r.data) ? r.data : []);
    }, function (err) {
      // A server without device approval: stop asking. Anything else: the next poll tries again.
      if (err instanceof ApiError && !err.handled && err.status === 404) stopApprovals();
    })
    .then(function () { inFlight = false; });
}

// render adds the new pending sign-ins and removes the ones that are gone,
// leaving the others alone so a focused button keeps its focus.
function render(list) {
  var root = $('pending-signins');
  var seen = {};
  list.forEach(function (p) {
    if (!p || !p.id || answered[p.id]) return;
    seen[p.id] = true;
    if (!cards[p.id]) {
      cards[p.id] = card(p);
      root.appendChild(cards[p.id]);
    }
  });
  Object.keys(cards).forEach(function (id) {
    if (!seen[id] && !cards[id].hasAttribute('aria-busy')) removeCard(id);
  });
}

function removeCard(id) {
  if (cards[id]) cards[id].remove();
  delete cards[id];
}

function who(p) {
  var browser = browserName(p.user_agent);
  return (p.device_label || 'an unknown device') + (browser ? ' · ' + browser.replace(/ \d+$/, '') : '');
}

function card(p) {
  var titleId = 'pending-' + p.id + '-title';
  var started = parseTime(p.created_at);
  var meta = 'Started ' + relativeTime(started) + (p.ip_hash_prefix ? ' · network #' + p.ip_hash_prefix : '');
  var node = el('div', {
    className: 'approval', role: 'group', 'aria-labelledby': titleId,
    'data-testid': 'pending-signin', 'data-pending-id': p.id
  });
  node.appendChild(el('p', { className: 'approval-title', id: titleId }, [
    'A new sign-in from ', el('strong', { 'data-testid': 'pending-device', text: who(p) }),
    ' is waiting. Which number does it show?'
  ]));
  node.appendChild(el('p', { className: 'approval-meta', text: meta }));
  var row = el('div', { className: 'button-row' });
  (p.choices || []).forEach(function (n) {
    var btn = el('button', {
      type: 'button', className: 'btn btn-secondary approval-number', 'data-testid': 'pending-number', 'data-number': n
    }, [el('span', { className: 'sr-only', text: 'It shows ' }), String(n)]);
    btn.addEventListener('click', function () { answer(p, node, 'approve', n); });
    row.appendChild(btn);
  });
  var deny = el('button', { type: 'button', className: 'btn btn-danger-outline', 'data-testid': 'pending-deny' },
    ['Deny', el('span', { className: 'sr-only', text: ' the sign-in from ' + who(p) })]);
  deny.addEventListener('click', function () { answer(p, node, 'deny'); });
  row.appendChild(deny);
  node.appendChild(row);
  node.appendChild(el('p', { className: 'hint', text: 'Not you trying to sign in? Deny it, then change your password.' }));
  return node;
}

function setButtons(node, disabled) {
  Array.prototype.forEach.call(node.querySelectorAll('button'), function (b) { b.disabled = disabled; });
  if (disabled) node.setAttribute('aria-busy', 'true');
  else node.removeAttribute('aria-busy');
}

function answer(p, node, action, number) {
  var box = $('sessions-message');
  var epoch = state.epoch;
  setMessage(box);
  setButtons(node, true);
  var opts = { auth: true };
  if (action === 'approve') opts.body = { number: number };
  api('POST', 'auth/2fa/pending/' + encodeURIComponent(p.id) + '/' + action + '/', opts)
    .then(function () {
      done(p, action === 'approve' ? 'success' : 'info', action === 'approve'
        ? 'Sign-in approved: ' + who(p) + ' is signing in.'
        : 'Sign-in denied. If it wasn’t you, change your password.');
      if (action === 'approve') window.setTimeout(function () { if (epoch === state.epoch) hooks.loadSessions(); }, 2500);
    }, function (err) {
      if (epoch !== state.epoch || (err && err.handled)) return;
      if (err instanceof ApiError && err.status === 400 && err.data && err.data.number) {
        done(p, 'error', describeError(err).fields.number.join(' ') + ' If it wasn’t you, change your password.');
      } else if (err instanceof ApiError && err.status === 404) {
        done(p, 'info', 'That sign-in is no longer waiting.');
      } else {
        setButtons(node, false);
        showError(err, box);
      }
    });
}

function done(p, kind, message) {
  answered[p.id] = true;
  removeCard(p.id);
  setMessage($('sessions-message'), kind, message);
  $('sessions-title').focus();
}

/** bindApprovals wires the polling to focus and visibility; h: {loadSessions}. */
export function bindApprovals(h) {
  hooks = h;
  window.addEventListener('focus', poll);
  document.addEventListener('visibilitychange', function () { if (!document.hidden) poll(); });
}

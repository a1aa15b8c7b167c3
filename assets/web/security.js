// The "Security activity" card and the new-device banner. GET
// auth/security-log/ lists the account's events newest first, 50 a page;
// each becomes one line in plain words with its time and device (a run of
// failed sign-ins becomes one line with the count). "Show more" follows
// next_cursor. The first page is read again after the page's own changes
// (client.js onWrite), and it decides the banner: a sign-in from a new
// device, in the last 7 days, from another session, not dismissed here.
import { $, browserName, deviceIcon, el, formatDate, parseTime, plural, relativeTime, setMessage, svg } from './dom.js';
import { api, onWrite, showError, state } from './client.js';

var DISMISSED_KEY = 'notechondria.newDeviceDismissed';
var BANNER_DAYS = 7;
var KEEP_DISMISSED = 50;

var ICONS = {
  key: 'M7 14a3 3 0 1 1 0-6 3 3 0 0 1 0 6zm5.6-4A6 6 0 1 0 12.6 14H15v3h3v-3h3v-4z',
  shield: 'M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5zm0 2.2 6 2.3V11c0 3.9-2.5 7.4-6 8.8-3.5-1.4-6-4.9-6-8.8V6.5z',
  warn: 'M12 2 1 21h22zm0 4.2L19.6 19H4.4zM11 10v5h2v-5zm0 6v2h2v-2z',
  mail: 'M3 5h18a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm1 3.2V17h16V8.2l-8 5zM5.2 7 12 11.2 18.8 7z',
  out: 'M10 3h9a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2h-9v-2h9V5h-9zM8.6 7.6 10 9l-2 2h8v2H8l2 2-1.4 1.4L4.2 12z'
};

var loaded = [];        // every event shown, newest first
var nextCursor = null;
var loading = null;     // the request in flight: {epoch, more}
var refreshTimer = null;

// ---------------------------------------------------------------- plain words

var PROVIDERS = { google: 'Google', github: 'GitHub' };
function providerName(p) {
  p = String(p || '');
  return PROVIDERS[p.toLowerCase()] || (p ? p.charAt(0).toUpperCase() + p.slice(1) : 'an outside account');
}

var FACTORS = {
  totp: 'Authenticator app', confirm_new_sign_ins: 'Confirm new sign-ins', passkey: 'Passkey'
};

// How a sign-in ended, from its methods (the first factor first).
var WITH = {
  totp: ' with an authenticator app', passkey: ' with a passkey', recovery: ' with a recovery code',
  email: ' with an emailed code', device: ' approved on another device', oauth: ' with a linked account'
};

/** deviceName is "iPhone · Safari" from an event's label and User-Agent ('' for none). */
export function deviceName(ev) {
  var label = ev.device_label || '';
  var browser = browserName(ev.user_agent).replace(/ \d+$/, '');
  if (!label) return browser;
  return browser ? label + ' · ' + browser : label;
}

function methodsText(methods) {
  if (!Array.isArray(methods) || !methods.length) return '';
  for (var i = methods.length - 1; i >= 0; i--) {
    if (WITH[methods[i]]) {
      // Signed in from the verification mail or OAuth alone: say so.
      if (methods[i] === 'email' && methods.length === 1) return ' by verifying the email address';
      return WITH[methods[i]];
    }
  }
  return '';
}

function reasonText(ev) {
  var d = ev.detail || {};
  if (d.reason === 'wrong_password') return 'wrong password';
  if (d.reason === 'throttled') return 'too many tries, blocked';
  if (d.reason === 'wrong_second_factor') {
    if (d.channel === 'passkey') return 'passkey not accepted';
    if (d.channel === 'recovery') return 'wrong recovery code';
    return 'wrong code';
  }
  return 'refused';
}

// failures counts the tries a login.failed event stands for (a throttled
// one is recorded once a minute with the count refused).
function failures(ev) {
  var d = ev.detail || {};
  return d.reason === 'throttled' && d.refused > 0 ? d.refused : 1;
}

var CAUSES = {
  password_change: ' after a password change',
  password_reset: ' after a password reset',
  email_change: ' after an email address change',
  admin: ' by an administrator',
  boot_wipe: ' when the server restarted',
  not_me: ' after “This wasn’t me”',
  email_dispute: ' after an email change was undone'
};

// sessionDevices maps the session ids of the loaded sign-ins to their devices.
function sessionDevices() {
  var m = {};
  loaded.forEach(function (ev) {
    if (ev.type === 'login.succeeded' && ev.session_id !== null && ev.session_id !== undefined) m[ev.session_id] = deviceName(ev);
  });
  return m;
}

function revokedText(ev, devices) {
  var d = ev.detail || {};
  var n = typeof d.count === 'number' ? d.count : (Array.isArray(d.session_ids) ? d.session_ids.length : 1);
  var ids = Array.isArray(d.session_ids) ? d.session_ids : [];
  var what;
  if (d.cause === 'this_device') what = 'this session';
  else if (n === 1 && ids.length === 1 && devices[ids[0]]) what = devices[ids[0]];
  else what = n + ' ' + plural(n, 'session', 'sessions');
  return 'Signed out ' + what + (CAUSES[d.cause] || '');
}

/**
 * describe turns one event (or a run of failed sign-ins) into
 * {title, device, tone, icon}: device is '' when the title names it.
 */
export function describe(ev, devices, run) {
  var d = ev.detail || {};
  var dev = deviceName(ev);
  var out = { title: '', device: dev, tone: '', icon: ev.device_label ? deviceIcon(ev.device_label) : ICONS.shield };
  switch (ev.type) {
    case 'login.succeeded':
      out.title = 'Signed in on ' + (dev || 'an unknown device') + methodsText(d.methods) + (d.new_device ? ' (new device)' : '');
      out.device = '';
      if (d.new_device) out.tone = 'warn';
      break;
    case 'login.failed': {
      var n = 0;
      var reasons = [];
      run.forEach(function (e) {
        n += failures(e);
        var r = reasonText(e);
        if (reasons.indexOf(r) < 0) reasons.push(r);
      });
      out.title = (n === 1 ? 'Failed sign-in attempt' : n + ' failed sign-in attempts') + ' (' + reasons.join(', ') + ')';
      var devs = [];
      run.forEach(function (e) { var x = deviceName(e) || 'unknown device'; if (devs.indexOf(x) < 0) devs.push(x); });
      out.device = devs.length === 1 ? devs[0] : 'from ' + devs.length + ' devices';
      out.tone = 'warn';
      out.icon = ICONS.warn;
      break;
    }
    case 'second_step.required':
      out.title = 'Correct password entered; a second step was asked for';
      break;
    case 'second_step.approved':
      out.title = d.channel === 'device' ? 'Sign-in approved on a signed-in device'
        : 'Second step passed' + (WITH[d.channel] || '');
      break;
    case 'second_step.denied':
      out.title = 'Sign-in denied' + (d.why === 'wrong_number' ? ' (the wrong number was picked)' : '');
      out.tone = 'warn';
      break;
    case 'session.revoked':
      out.title = revokedText(ev, devices);
      out.icon = ICONS.out;
      break;
    case 'logout':
      out.title = 'Signed out';
      out.icon = ICONS.out;
      break;
    case 'password.changed':
      out.title = d.by === 'admin' ? 'Password changed by an administrator' : 'Password changed';
      out.icon = ICONS.key;
      break;
    case 'password.reset':
      out.title = 'Password reset with an emailed code';
      out.icon = ICONS.key;
      break;
    case 'email.changed':
      out.title = 'Email address changed' + (d.old ? ' from ' + d.old : '') + (d.new ? ' to ' + d.new : '');
      out.icon = ICONS.mail;
      break;
    case 'email.change_reverted':
      out.title = 'Email change undone' + (d.restored ? ': back to ' + d.restored : '') + (d.removed ? ' (' + d.removed + ' removed)' : '');
      out.icon = ICONS.mail;
      break;
    case 'api_key.rotated':
      out.title = 'New API key created' + (d.prefix ? ' (' + d.prefix + '…)' : '');
      out.icon = ICONS.key;
      break;
    case 'oauth.linked':
      out.title = providerName(d.provider) + ' sign-in linked';
      break;
    case 'oauth.unlinked':
      out.title = providerName(d.provider) + ' sign-in unlinked';
      break;
    case 'second_factor.added':
      out.title = d.kind === 'passkey' ? 'Passkey added' : (FACTORS[d.kind] || 'A second step') + ' turned on';
      out.icon = ICONS.shield;
      break;
    case 'second_factor.removed':
      out.title = d.kind === 'passkey' ? 'Passkey removed' : (FACTORS[d.kind] || 'A second step') + ' turned off';
      out.icon = ICONS.shield;
      out.tone = 'warn';
      break;
    case 'recovery_codes.regenerated':
      out.title = 'New recovery codes made; the old ones stopped working';
      out.icon = ICONS.shield;
      break;
    case 'not_me.reported': {
      var who = devices[d.reported_session_id];
      out.title = '“This wasn’t me” reported' + (who ? ' for the sign-in on ' + who : '') + '; every device was signed out';
      out.tone = 'warn';
      out.icon = ICONS.warn;
      break;
    }
    default:
      out.title = 'Security event: ' + String(ev.type || 'unknown');
  }
  return out;
}

// group folds each run of consecutive failed sign-ins into one entry.
function group(events) {
  var out = [];
  events.forEach(function (ev) {
    var last = out[out.length - 1];
    if (ev.type === 'login.failed' && last && last.ev.type === 'login.failed') last.run.push(ev);
    else out.push({ ev: ev, run: [ev] });
  });
  return out;
}

// ---------------------------------------------------------------- the card

function isThisDevice(ev) {
  return state.currentSessionId !== null && state.currentSessionId !== undefined && ev.session_id === state.currentSessionId;
}

function timeEl(at, testid) {
  var d = parseTime(at);
  return el('time', {
    'data-testid': testid, 'data-rel-time': at || '', datetime: at || '',
    title: d ? formatDate(d) : '', text: relativeTime(d)
  });
}

function row(entry, devices) {
  var ev = entry.ev;
  var run = entry.run;
  var info = describe(ev, devices, run);
  var meta = [timeEl(ev.at, 'security-event-time')];
  if (run.length > 1) {
    var oldest = parseTime(run[run.length - 1].at);
    var first = relativeTime(oldest);
    if (first !== relativeTime(parseTime(ev.at))) meta.push(el('span', { text: ' (the first ' + first + ')', title: oldest ? formatDate(oldest) : '' }));
  }
  if (info.device) meta.push(' · ', el('span', { 'data-testid': 'security-event-device', text: info.device }));
  if (ev.ip_hash_prefix && run.length === 1) meta.push(' · network #' + ev.ip_hash_prefix);
  var title = el('p', { className: 'session-title activity-title' }, [
    el('span', { 'data-testid': 'security-event-title', text: info.title })
  ]);
  if (run.every(isThisDevice)) title.appendChild(el('span', { className: 'badge', 'data-testid': 'security-event-this-device', text: 'This device' }));
  return el('li', {
    className: 'session activity' + (info.tone ? ' is-' + info.tone : ''), 'data-testid': 'security-event',
    'data-type': ev.type, 'data-event-id': ev.id, 'data-count': run.length > 1 ? run.length : null
  }, [
    el('span', { className: 'session-icon' }, [svg(info.icon)]),
    el('div', { className: 'session-main' }, [title, el('p', { className: 'session-meta' }, meta)])
  ]);
}

function render() {
  var list = $('security-list');
  var devices = sessionDevices();
  list.textContent = '';
  group(loaded).forEach(function (entry) { list.appendChild(row(entry, devices)); });
  $('security-empty').hidden = loaded.length > 0;
  $('security-more').hidden = !nextCursor;
}

/** loadSecurity reads the first page again (more: the page after the shown ones). */
export function loadSecurity(more) {
  if (!state.token) return Promise.resolve();
  if (loading && loading.epoch === state.epoch && loading.more === !!more) return loading.p;
  var epoch = state.epoch;
  var list = $('security-list');
  var btn = $('security-more');
  var path = 'auth/security-log/' + (more && nextCursor ? '?cursor=' + encodeURIComponent(nextCursor) : '');
  // Disabling the button drops its focus: give it back afterwards.
  var hadFocus = !!more && document.activeElement === btn;
  list.setAttribute('aria-busy', 'true');
  if (more) { btn.disabled = true; btn.textContent = 'Loading…'; }
  var p = api('GET', path, { auth: true }).then(function (r) {
    if (epoch !== state.epoch) return;
    var data = r.data || {};
    var events = Array.isArray(data.events) ? data.events : [];
    if (more) {
      var seen = {};
      loaded.forEach(function (e) { seen[e.id] = true; });
      loaded = loaded.concat(events.filter(function (e) { return !seen[e.id]; }));
    } else {
      loaded = events;
      renderBanner(events);
    }
    nextCursor = typeof data.next_cursor === 'string' && data.next_cursor ? data.next_cursor : null;
    setMessage($('security-message'));
    render();
  }).catch(function (err) {
    if (epoch !== state.epoch) return;
    showError(err, $('security-message'));
  }).then(function () {
    if (loading && loading.p === p) loading = null;
    if (epoch !== state.epoch) return;
    list.setAttribute('aria-busy', 'false');
    btn.disabled = false;
    btn.textContent = 'Show more';
    // On the last page the button is hidden: the focus goes to the card.
    if (hadFocus) {
      if (btn.hidden) $('security').focus({ preventScroll: true });
      else btn.focus();
    }
  });
  loading = { epoch: epoch, more: !!more, p: p };
  return p;
}

/** resetSecurity forgets the card and the banner (signing out). */
export function resetSecurity() {
  loaded = [];
  nextCursor = null;
  loading = null;
  if (refreshTimer) window.clearTimeout(refreshTimer);
  refreshTimer = null;
  $('security-list').textContent = '';
  $('security-empty').hidden = true;
  $('security-more').hidden = true;
  setMessage($('security-message'));
  $('new-device-banner').hidden = true;
  shownInBanner = [];
}

// refreshSoon reads the first page again shortly after a change made on
// this page (several calls in a row make one request).
function refreshSoon() {
  if (refreshTimer) window.clearTimeout(refreshTimer);
  refreshTimer = window.setTimeout(function () {
    refreshTimer = null;
    if (state.token && document.body.getAttribute('data-view') === 'account') loadSecurity(false);
  }, 250);
}

// ---------------------------------------------------------------- the new-device banner

var shownInBanner = [];

function dismissed() {
  try {
    var v = JSON.parse(window.localStorage.getItem(DISMISSED_KEY) || '[]');
    return Array.isArray(v) ? v : [];
  } catch (e) { return []; }
}

function dismiss(ids) {
  var keep = dismissed().filter(function (id) { return ids.indexOf(id) < 0; }).concat(ids);
  try { window.localStorage.setItem(DISMISSED_KEY, JSON.stringify(keep.slice(-KEEP_DISMISSED))); } catch (e) { /* private mode */ }
}

// ended lists the sessions the first page says were signed out.
function endedSessions(events) {
  var out = {};
  events.forEach(function (ev) {
    if (ev.type === 'logout' && ev.session_id !== null) out[ev.session_id] = true;
    if (ev.type === 'session.revoked' && ev.detail && Array.isArray(ev.detail.session_ids)) {
      ev.detail.session_ids.forEach(function (id) { out[id] = true; });
    }
  });
  return out;
}

/** newDeviceSignIns are the sign-ins the banner asks about, newest first. */
export function newDeviceSignIns(events, now) {
  var since = now - BANNER_DAYS * 86400000;
  var gone = dismissed();
  return events.filter(function (ev) {
    if (ev.type !== 'login.succeeded' || !ev.detail || ev.detail.new_device !== true) return false;
    if (isThisDevice(ev) || gone.indexOf(ev.id) >= 0) return false;
    var at = parseTime(ev.at);
    return !!at && at.getTime() >= since;
  });
}

function renderBanner(events) {
  var banner = $('new-device-banner');
  var list = newDeviceSignIns(events, Date.now());
  shownInBanner = list.map(function (ev) { return ev.id; });
  if (!list.length) { banner.hidden = true; return; }
  var ev = list[0];
  var at = parseTime(ev.at);
  var text = $('new-device-text');
  text.textContent = '';
  text.appendChild(document.createTextNode('A new device signed in: ' + (deviceName(ev) || 'an unknown device') + ', '));
  text.appendChild(el('time', {
    'data-rel-time': ev.at, datetime: ev.at, title: at ? formatDate(at) : '', text: relativeTime(at)
  }));
  text.appendChild(document.createTextNode('. Was this you?'));
  var sub = [];
  if (endedSessions(events)[ev.session_id]) sub.push('It has been signed out since.');
  if (list.length > 1) sub.push('And ' + (list.length - 1) + ' more new ' + plural(list.length - 1, 'device', 'devices') + '.');
  sub.push('If it wasn’t you, sign it out and change your password.');
  $('new-device-sub').textContent = sub.join(' ');
  banner.setAttribute('data-event-id', ev.id);
  banner.hidden = false;
}

/** focusSecurity scrolls to the Security activity card and focuses it. */
export function focusSecurity() {
  if (location.hash !== '#security') history.replaceState(null, '', '#security');
  var card = $('security');
  card.scrollIntoView();
  card.focus({ preventScroll: true });
}

/** bindSecurity wires the card and the banner. */
export function bindSecurity() {
  $('security-more').addEventListener('click', function () { loadSecurity(true); });
  $('security-refresh').addEventListener('click', function () { loadSecurity(false); });
  $('new-device-link').addEventListener('click', function (ev) {
    ev.preventDefault();
    focusSecurity();
  });
  $('new-device-dismiss').addEventListener('click', function () {
    dismiss(shownInBanner);
    shownInBanner = [];
    $('new-device-banner').hidden = true;
    $('account-title').focus();
  });
  onWrite(refreshSoon);
}

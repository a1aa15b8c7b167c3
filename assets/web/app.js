/*
 * Notechondria account page: the entry module.
 *
 * Plain ES modules, no dependencies, no eval, no inline styles: it runs under
 *   default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; ...
 * Talks to the Notechondria auth API under /api/v1/ on the same origin.
 *
 *   dom.js      helpers without state (DOM, times, messages, form errors)
 *   client.js   the API client and the signed-in state
 *   secondstep.js  the second step of a password sign-in (pending_2fa)
 *   stepup.js   the "Confirm it's you" dialog before changes that need a recent sign-in
 *   twofactor.js   the Two-step sign-in card (authenticator app, recovery codes, confirm new sign-ins)
 *   approvals.js   sign-ins waiting for this device's approval, on the Active sessions card
 *   passkeys.js    the Passkeys card, "Sign in with a passkey", the passkey channel of the second step
 *   security.js    the Security activity card (GET auth/security-log/) and the new-device banner
 *   app.js      views, sign-in and registration, the account cards, boot
 */
import {
  $, browserName, busy, checkRequired, clearFormErrors, copyText, deviceIcon, el, formatDate, humanize,
  parseTime, plural, relativeTime, setMessage, setNotice, svg
} from './dom.js';
import {
  ApiError, TOKEN_KEY, api, clearToken, describeError, loadToken, onSessionEnded, saveToken,
  showError, state, submitForm
} from './client.js';
import { bindSecondStep, startSecondStep } from './secondstep.js';
import { bindStepUp, closeStepUp } from './stepup.js';
import { bindTwoFactor, loadTwoFactor, resetTwoFactor } from './twofactor.js';
import { bindApprovals, startApprovals, stopApprovals } from './approvals.js';
import { bindPasskeys, loadPasskeys, resetPasskeys } from './passkeys.js';
import { bindSecurity, focusSecurity, loadSecurity, resetSecurity } from './security.js';

var API = '/api/v1/';
var SESSION_ENDED = 'Your session has ended. Please sign in again.';

// ---------------------------------------------------------------- views

var VIEWS = ['loading', 'signin', 'second', 'register', 'verify', 'forgot', 'account'];
var currentView = null;

function show(name, opts) {
  opts = opts || {};
  VIEWS.forEach(function (v) { $('view-' + v).hidden = v !== name; });
  var changed = currentView !== name;
  currentView = name;
  document.body.setAttribute('data-view', name);
  $('topbar-user').hidden = name !== 'account';
  var titles = {
    loading: 'Account', signin: 'Sign in', second: 'Sign in', register: 'Create an account', verify: 'Verify your email',
    forgot: 'Reset your password', account: 'Your account'
  };
  document.title = titles[name] + ' · Notechondria';
  if (opts.focus !== false && changed) {
    var target = opts.focusEl || document.querySelector('#view-' + name + ' .view-title');
    if (target) target.focus({ preventScroll: false });
  }
}


function goSignIn(notice, kind, identifier) {
  resetAccountView();
  setNotice($('app-notice'), kind || 'warn', notice || '');
  setMessage($('signin-message'));
  clearFormErrors($('signin-form'));
  $('signin-password').value = '';
  if (identifier) $('signin-identifier').value = identifier;
  show('signin');
}

function sessionEnded() {
  var wasSignedIn = !!state.token || currentView === 'account';
  clearToken();
  state.epoch++;
  state.user = null;
  if (wasSignedIn || currentView !== 'signin') goSignIn(SESSION_ENDED, 'warn');
}

// ---------------------------------------------------------------- sign in / up

function onAuthPayload(payload) {
  if (!payload || !payload.token) throw new ApiError(500, { detail: 'The server sent an unexpected answer.' });
  saveToken(payload.token);
  state.epoch++;
  state.user = payload.user || null;
  state.bannerDismissed = false;
  state.currentSessionId = payload.session ? payload.session.id : null;
  state.otherSessions = payload.multi_device ? (payload.other_sessions_count || 0) : 0;
  enterAccount();
}

function bindSignIn() {
  var form = $('signin-form');
  var box = $('signin-message');
  submitForm(form, box, 'Signing in…', function (v) {
    return api('POST', 'auth/login/', { body: { identifier: v.identifier, password: v.password } })
      .then(function (r) {
        form.reset();
        setNotice($('app-notice'), null, '');
        if (r.data && r.data.pending_2fa) startSecondStep(r.data, v.identifier);
        else onAuthPayload(r.data);
      });
  });
}

var invitationChecked = false;
function checkInvitationGate() {
  if (invitationChecked) return;
  invitationChecked = true;
  api('POST', 'auth/validate-invitation/', { body: { invitation_code: '' } }).then(function (r) {
    if (r.data && r.data.required) {
      $('register-invitation-tag').textContent = '(required on this server)';
      $('register-invitation').required = true;
    }
  }, function () { invitationChecked = false; });
}

function bindRegister() {
  var form = $('register-form');
  var box = $('register-message');
  submitForm(form, box, 'Creating account…', function (v) {
    var body = { username: v.username, email: v.email, password: v.password };
    if (v.invitation_code) body.invitation_code = v.invitation_code;
    return api('POST', 'auth/register/', { body: body })
      .then(function (r) {
        var data = r.data || {};
        var email = data.email || v.email;
        form.reset();
        openVerify(email, data);
      });
  });
}

function deliveryText(data, email, fallbackIntro) {
  if (data && data.delivery_fallback) {
    // The server could not email the code (e.g. no SMTP configured): its message says what to do.
    return data.message ? humanize(data.message) : 'The code could not be emailed. Ask an administrator for it.';
  }
  return fallbackIntro.replace('{email}', email || 'your email address');
}

function openVerify(email, data) {
  $('verify-email').value = email || '';
  $('verify-code').value = '';
  setMessage($('verify-message'));
  clearFormErrors($('verify-form'));
  var notice = $('verify-notice');
  var fallback = data && data.delivery_fallback;
  setNotice(notice, fallback ? 'warn' : 'info',
    deliveryText(data, email, 'We sent a 6-digit code to {email}. Enter it below to finish creating your account.'));
  show('verify', { focusEl: $('verify-title') });
}

function bindVerify() {
  var form = $('verify-form');
  var box = $('verify-message');
  submitForm(form, box, 'Verifying…', function (v) {
    return api('POST', 'auth/verify-email/', { body: { email: v.email, code: v.code.replace(/\s+/g, '') } })
      .then(function (r) { form.reset(); onAuthPayload(r.data); });
  });
  $('verify-resend').addEventListener('click', function () {
    var email = $('verify-email').value.trim();
    if (!email) { checkRequired(form, box); return; }
    var btn = $('verify-resend');
    busy(btn, true, 'Sending…');
    api('POST', 'auth/resend-verification/', { body: { email: email } })
      .then(function (r) {
        var data = r.data || {};
        setMessage(box, data.delivery_fallback ? 'info' : 'success',
          deliveryText(data, email, 'A new code is on its way to {email}.'));
      })
      .catch(function (err) { showError(err, box, form); })
      .then(function () { busy(btn, false); });
  });
}

var resetEmail = '';
function bindForgot() {
  var form = $('forgot-form');
  var box = $('forgot-message');
  var resetForm = $('reset-form');
  var resetBox = $('reset-message');
  submitForm(form, box, 'Sending…', function (v) {
    return api('POST', 'auth/password-reset/', { body: { email: v.email } })
      .then(function (r) {
        var data = r.data || {};
        resetEmail = data.email || v.email;
        form.hidden = true;
        resetForm.hidden = false;
        setMessage(resetBox);
        clearFormErrors(resetForm);
        setNotice($('reset-notice'), data.delivery_fallback ? 'warn' : 'info',
          deliveryText(data, resetEmail, 'If {email} belongs to an account, we sent it a 6-digit code. Enter it with your new password.'));
        $('reset-code').focus();
      });
  });
  submitForm(resetForm, resetBox, 'Saving…', function (v) {
    return api('POST', 'auth/password-reset/confirm/', { body: { email: resetEmail, code: v.code.replace(/\s+/g, ''), password: v.password } })
      .then(function (r) {
        var msg = (r.data && r.data.message) ? humanize(r.data.message) : 'Password updated. You can now sign in.';
        var email = resetEmail;
        resetForgot();
        goSignIn(msg.replace(/log in/i, 'sign in'), 'success', email);
        $('signin-password').focus();
      });
  });
  $('reset-other-email').addEventListener('click', function () {
    resetForgot();
    $('forgot-email').focus();
  });
}

function resetForgot() {
  $('forgot-form').reset();
  $('reset-form').reset();
  $('forgot-form').hidden = false;
  $('reset-form').hidden = true;
  setMessage($('forgot-message'));
  setMessage($('reset-message'));
  clearFormErrors($('forgot-form'));
  clearFormErrors($('reset-form'));
}

function bindNavigation() {
  Array.prototype.forEach.call(document.querySelectorAll('[data-go]'), function (btn) {
    btn.addEventListener('click', function () {
      var to = btn.getAttribute('data-go');
      if (to === 'signin') { goSignIn('', null); return; }
      if (to === 'register') { checkInvitationGate(); setMessage($('register-message')); }
      if (to === 'forgot') {
        resetForgot();
        var id = $('signin-identifier').value.trim();
        if (id.indexOf('@') > 0) $('forgot-email').value = id;
      }
      show(to);
    });
  });
}

// ---------------------------------------------------------------- account view

function displayName(user) {
  if (!user) return '';
  return user.display_name || [user.first_name, user.last_name].filter(Boolean).join(' ') || user.username || user.email || '';
}

function resetAccountView() {
  closeStepUp();
  stopApprovals();
  resetTwoFactor();
  resetPasskeys();
  resetSecurity();
  state.sessions = [];
  state.apiKeyPrefix = null;
  $('sessions-list').textContent = '';
  $('sessions-empty').hidden = true;
  setMessage($('sessions-message'));
  setMessage($('apikey-message'));
  setMessage($('password-message'));
  setMessage($('password-code-message'));
  hideApiKey();
  $('apikey-confirm').hidden = true;
  $('password-form').reset();
  $('password-form').hidden = true;
  $('password-form-hint').hidden = false;
  clearFormErrors($('password-form'));
  $('password-send-code').textContent = 'Send code';
  $('multi-device-banner').hidden = true;
  $('account-name').textContent = '';
  $('account-subtitle').textContent = '';
}

function enterAccount() {
  resetAccountView();
  var user = state.user || {};
  $('account-name').textContent = displayName(user);
  var sub = [];
  if (user.username) sub.push('@' + user.username);
  if (user.email) sub.push(user.email);
  $('account-subtitle').textContent = sub.join(' · ');
  renderBanner();
  renderApiKey();
  show('account');
  if (location.hash === '#sessions') $('sessions').scrollIntoView();
  loadSessions();
  loadSecurity().then(function () { if (location.hash === '#security') focusSecurity(); });
  loadSettings();
  loadTwoFactor();
  loadPasskeys();
  startApprovals();
}

function renderBanner() {
  var n = state.otherSessions;
  var banner = $('multi-device-banner');
  if (n > 0 && !state.bannerDismissed) {
    $('multi-device-text').textContent = 'You\'re signed in on ' + n + ' other ' + plural(n, 'device', 'devices') + '.';
    $('multi-device-sub').textContent = n === 1 ? 'Don’t recognise it? Sign it out.' : 'Don’t recognise one of them? Sign it out.';
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }
}

// Sessions -----------------------------------------------------------

var sessionsLoading = null;

function loadSessions() {
  var epoch = state.epoch;
  var list = $('sessions-list');
  list.setAttribute('aria-busy', 'true');
  var p = api('GET', 'auth/sessions/', { auth: true }).then(function (r) {
    if (epoch !== state.epoch) return;
    var data = r.data || {};
    state.sessions = Array.isArray(data.sessions) ? data.sessions : [];
    state.currentSessionId = data.current_session_id !== undefined ? data.current_session_id : state.currentSessionId;
    var others = state.sessions.filter(function (s) { return !isCurrent(s); }).length;
    if (others !== state.otherSessions) {
      if (others > state.otherSessions) state.bannerDismissed = false;
      state.otherSessions = others;
    }
    renderSessions();
    renderBanner();
  }).catch(function (err) {
    if (epoch !== state.epoch) return;
    showError(err, $('sessions-message'));
  }).then(function () {
    if (epoch === state.epoch) list.setAttribute('aria-busy', 'false');
  });
  sessionsLoading = p;
  return p;
}

function isCurrent(s) {
  if (s.is_current === true) return true;
  return state.currentSessionId !== null && state.currentSessionId !== undefined && s.id === state.currentSessionId && s.is_current !== false;
}

function renderSessions() {
  var list = $('sessions-list');
  list.textContent = '';
  var sessions = state.sessions.slice().sort(function (a, b) {
    var ca = isCurrent(a) ? 0 : 1;
    var cb = isCurrent(b) ? 0 : 1;
    if (ca !== cb) return ca - cb;
    var ta = parseTime(a.last_seen_at);
    var tb = parseTime(b.last_seen_at);
    return (tb ? tb.getTime() : 0) - (ta ? ta.getTime() : 0);
  });
  sessions.forEach(function (s) { list.appendChild(sessionRow(s)); });
  $('sessions-empty').hidden = sessions.length > 0;
  var others = sessions.filter(function (s) { return !isCurrent(s); }).length;
  $('sessions-revoke-others').disabled = others === 0;
}

function sessionRow(s) {
  var current = isCurrent(s);
  var label = s.device_label || 'Unknown device';
  var lastSeen = parseTime(s.last_seen_at);
  var created = parseTime(s.created_at);
  var browser = browserName(s.user_agent);

  var title = el('p', { className: 'session-title' }, [
    el('span', { className: 'session-device', 'data-testid': 'session-device', text: label })
  ]);
  if (current) title.appendChild(el('span', { className: 'badge', 'data-testid': 'session-current-badge', text: 'This device' }));

  var meta = el('p', { className: 'session-meta' }, [
    current ? el('span', { text: 'Active now' }) : el('span', {}, [
      'Last seen ',
      el('time', {
        'data-testid': 'session-last-seen', 'data-rel-time': s.last_seen_at || '',
        datetime: s.last_seen_at || '', title: lastSeen ? formatDate(lastSeen) : '', text: relativeTime(lastSeen)
      })
    ]),
    ' · Signed in ',
    el('time', { 'data-testid': 'session-created', datetime: s.created_at || '', text: formatDate(created) })
  ]);

  var details = [];
  if (browser) details.push(browser);
  if (s.ip_hash_prefix) details.push('network #' + s.ip_hash_prefix);
  var ua = el('p', { className: 'session-ua', title: s.user_agent || '', text: details.join(' · ') || (s.user_agent || '') });

  var children = [
    el('span', { className: 'session-icon' }, [svg(deviceIcon(label))]),
    el('div', { className: 'session-main' }, [title, meta, ua])
  ];
  if (!current) {
    var btn = el('button', {
      type: 'button', className: 'btn btn-small btn-danger-outline', 'data-testid': 'session-revoke',
      'data-session-id': s.id
    }, ['Revoke', el('span', { className: 'sr-only', text: ' session on ' + label + (lastSeen ? ', last seen ' + relativeTime(lastSeen) : '') })]);
    btn.addEventListener('click', function () { revokeSession(s, btn); });
    children.push(el('div', { className: 'session-action' }, [btn]));
  }
  return el('li', {
    className: 'session', 'data-testid': 'session-row', 'data-session-id': s.id,
    'data-current': current ? 'true' : 'false'
  }, children);
}

function refreshRelativeTimes() {
  Array.prototype.forEach.call(document.querySelectorAll('time[data-rel-time]'), function (t) {
    var d = parseTime(t.getAttribute('data-rel-time'));
    var txt = relativeTime(d);
    if (t.textContent !== txt) t.textContent = txt;
  });
}

function afterSessionChange(message, kind) {
  return loadSessions().then(function () {
    setMessage($('sessions-message'), kind || 'success', message);
    $('sessions-title').focus();
  });
}

function revokeSession(s, btn) {
  var box = $('sessions-message');
  setMessage(box);
  busy(btn, true, 'Revoking…');
  api('DELETE', 'auth/sessions/' + encodeURIComponent(s.id) + '/', { auth: true })
    .then(function () {
      return afterSessionChange('Signed out the session on ' + (s.device_label || 'that device') + '.');
    }, function (err) {
      if (err && err.status === 404 && !err.handled) {
        return afterSessionChange('That session had already ended.', 'info');
      }
      busy(btn, false);
      showError(err, box);
    });
}

function revokeOthers() {
  var box = $('sessions-message');
  var btn = $('sessions-revoke-others');
  setMessage(box);
  busy(btn, true, 'Signing out…');
  api('DELETE', 'auth/sessions/', { auth: true })
    .then(function (r) {
      return (r.data && typeof r.data.revoked === 'number') ? r.data.revoked : null;
    }, function (err) {
      // Servers without the bulk route: revoke each other session one by one.
      if (!err.handled && (err.status === 404 || err.status === 405)) {
        var others = state.sessions.filter(function (s) { return !isCurrent(s); });
        return Promise.all(others.map(function (s) {
          return api('DELETE', 'auth/sessions/' + encodeURIComponent(s.id) + '/', { auth: true })
            .then(function () { return 1; }, function (e) {
              if (e.status === 404 && !e.handled) return 0;
              throw e;
            });
        })).then(function (counts) { return counts.reduce(function (a, b) { return a + b; }, 0); });
      }
      throw err;
    })
    .then(function (n) {
      var msg = n === null ? 'Signed out all other devices.'
        : n === 0 ? 'No other devices were signed in.'
        : 'Signed out ' + n + ' other ' + plural(n, 'device', 'devices') + '.';
      return afterSessionChange(msg);
    })
    .catch(function (err) { showError(err, box); })
    .then(function () {
      busy(btn, false);
      btn.disabled = state.sessions.filter(function (s) { return !isCurrent(s); }).length === 0;
    });
}

// API key ------------------------------------------------------------

function loadSettings() {
  var epoch = state.epoch;
  return api('GET', 'settings/', { auth: true }).then(function (r) {
    if (epoch !== state.epoch) return;
    var data = r.data || {};
    state.apiKeyPrefix = typeof data.api_key_prefix === 'string' ? data.api_key_prefix : '';
    renderApiKey();
  }).catch(function (err) {
    if (epoch !== state.epoch) return;
    $('apikey-status-text').textContent = 'Couldn’t load your API key status.';
    showError(err, $('apikey-message'));
  });
}

function renderApiKey() {
  var text = $('apikey-status-text');
  var prefix = $('apikey-prefix');
  var rotate = $('apikey-rotate');
  if (state.apiKeyPrefix === null) {
    text.textContent = 'Checking…';
    prefix.hidden = true;
    rotate.disabled = true;
    return;
  }
  rotate.disabled = false;
  if (state.apiKeyPrefix) {
    text.textContent = 'Current key:';
    prefix.textContent = state.apiKeyPrefix + '…';
    prefix.setAttribute('data-prefix', state.apiKeyPrefix);
    prefix.hidden = false;
    rotate.textContent = 'Rotate API key';
  } else {
    text.textContent = 'You don’t have an API key yet.';
    prefix.textContent = '';
    prefix.removeAttribute('data-prefix');
    prefix.hidden = true;
    rotate.textContent = 'Create API key';
  }
}

function hideApiKey() {
  var input = $('apikey-value');
  input.value = '';
  $('apikey-reveal').hidden = true;
}

function doRotate() {
  var box = $('apikey-message');
  var btn = $('apikey-rotate');
  var yes = $('apikey-confirm-yes');
  var epoch = state.epoch;
  setMessage(box);
  $('apikey-confirm').hidden = true;
  busy(btn, true, 'Creating key…');
  busy(yes, true);
  api('POST', 'auth/rotate-api-key/', { auth: true })
    .then(function (r) {
      if (epoch !== state.epoch) return;
      var data = r.data || {};
      var key = String(data.api_key || '');
      state.apiKeyPrefix = data.api_key_prefix || key.slice(0, 8);
      busy(btn, false);
      renderApiKey();
      $('apikey-value').value = key;
      $('apikey-reveal').hidden = false;
      setMessage(box, 'success', 'New API key created. Any previous key no longer works.');
      $('apikey-value').focus();
      $('apikey-value').select();
    })
    .catch(function (err) { showError(err, box); })
    .then(function () { busy(btn, false); busy(yes, false); renderApiKey(); });
}

function copyKey() {
  var input = $('apikey-value');
  if (input.value) copyText(input.value, input, $('apikey-message'), 'API key');
}

function bindApiKey() {
  $('apikey-rotate').addEventListener('click', function () {
    if (state.apiKeyPrefix) {
      $('apikey-confirm').hidden = false;
      $('apikey-confirm-yes').focus();
    } else {
      doRotate();
    }
  });
  $('apikey-confirm-yes').addEventListener('click', doRotate);
  $('apikey-confirm-no').addEventListener('click', function () {
    $('apikey-confirm').hidden = true;
    $('apikey-rotate').focus();
  });
  $('apikey-copy').addEventListener('click', copyKey);
  $('apikey-hide').addEventListener('click', function () {
    hideApiKey();
    setMessage($('apikey-message'));
    $('apikey-rotate').focus();
  });
}

// Change password -----------------------------------------------------

function bindPassword() {
  var form = $('password-form');
  var codeBox = $('password-code-message');
  var box = $('password-message');
  var sendBtn = $('password-send-code');

  function openForm(focusEl) {
    form.hidden = false;
    $('password-form-hint').hidden = true;
    (focusEl || $('password-code')).focus();
  }

  sendBtn.addEventListener('click', function () {
    setMessage(codeBox);
    busy(sendBtn, true, 'Sending…');
    api('POST', 'auth/send-identity-code/', { auth: true })
      .then(function (r) {
        var data = r.data || {};
        busy(sendBtn, false);
        sendBtn.textContent = 'Send a new code';
        if (data.delivery_fallback) {
          setMessage(codeBox, 'info', deliveryText(data, data.masked_email, ''));
        } else {
          setMessage(codeBox, 'success', 'We sent a code to ' + (data.masked_email || 'your email address') + '. It expires in 24 hours.');
        }
        openForm();
      })
      .catch(function (err) { showError(err, codeBox); })
      .then(function () { busy(sendBtn, false); });
  });

  $('password-have-code').addEventListener('click', function () { openForm(); });

  submitForm(form, box, 'Changing password…', function (v) {
    var epoch = state.epoch;
    return api('POST', 'auth/change-password/', {
      auth: true,
      body: { current_password: v.current_password, new_password: v.new_password, identity_code: v.identity_code.replace(/\s+/g, '') }
    })
      .then(function (r) {
        if (epoch !== state.epoch) return;
        var data = r.data || {};
        if (data.token) {
          // Every other session was revoked server-side; keep using the new one.
          saveToken(data.token);
          state.epoch++;
          state.currentSessionId = data.session ? data.session.id : null;
        }
        state.otherSessions = 0;
        state.bannerDismissed = false;
        form.reset();
        clearFormErrors(form);
        form.hidden = true;
        $('password-form-hint').hidden = false;
        setMessage(codeBox);
        sendBtn.textContent = 'Send code';
        renderBanner();
        setMessage(box, 'success', 'Password changed. All your other devices have been signed out.');
        loadSessions();
        loadSettings();
      });
  });
}

// Sign out ------------------------------------------------------------

function bindSignOut() {
  $('signout-button').addEventListener('click', function () {
    var btn = $('signout-button');
    busy(btn, true, 'Signing out…');
    var done = function () {
      busy(btn, false);
      clearToken();
      state.epoch++;
      state.user = null;
      goSignIn('You have signed out.', 'info');
    };
    api('POST', 'auth/logout/', { auth: true }).then(done, function (err) {
      if (err && err.handled) { busy(btn, false); return; } // 401: already signed out
      if (err && err.status === 0) {
        busy(btn, false);
        setMessage($('sessions-message'), 'error', 'Can’t reach the server to sign out. Check your connection and try again.');
        return;
      }
      done();
    });
  });
}

// ---------------------------------------------------------------- boot

function restore() {
  state.token = loadToken();
  if (!state.token) { goSignIn('', null); return; }
  show('loading');
  setMessage($('loading-message'));
  $('loading-retry').hidden = true;
  var headers = { 'Accept': 'application/json', 'Authorization': 'Token ' + state.token };
  fetch(API + 'auth/session/', { headers: headers, credentials: 'same-origin', cache: 'no-store' })
    .then(function (res) {
      return res.json().then(function (data) {
        if (!res.ok) throw new ApiError(res.status, data);
        return data;
      }, function () { throw new ApiError(res.status, null); });
    })
    .then(function (data) {
      if (data && data.authenticated === true && data.token) {
        onAuthPayload(data);
      } else {
        sessionEnded();
      }
    })
    .catch(function (err) {
      var d = describeError(err);
      $('loading-message').textContent = d.general.join(' ') || 'Couldn’t load your account.';
      $('loading-retry').hidden = false;
      $('loading-retry').focus();
    });
}

function init() {
  onSessionEnded(sessionEnded);
  bindNavigation();
  bindSignIn();
  bindSecondStep({ onAuthPayload: onAuthPayload, goSignIn: goSignIn, show: show });
  bindStepUp();
  bindTwoFactor({ loadSessions: loadSessions });
  bindApprovals({ loadSessions: loadSessions });
  bindPasskeys({ onAuthPayload: onAuthPayload });
  bindSecurity();
  bindRegister();
  bindVerify();
  bindForgot();
  bindApiKey();
  bindPassword();
  bindSignOut();
  $('sessions-refresh').addEventListener('click', function () {
    setMessage($('sessions-message'));
    loadSessions();
  });
  $('sessions-revoke-others').addEventListener('click', revokeOthers);
  $('multi-device-dismiss').addEventListener('click', function () {
    state.bannerDismissed = true;
    renderBanner();
    $('account-title').focus();
  });
  $('multi-device-link').addEventListener('click', function (ev) {
    ev.preventDefault();
    if (location.hash !== '#sessions') history.replaceState(null, '', '#sessions');
    var card = $('sessions');
    card.scrollIntoView();
    card.focus({ preventScroll: true });
  });
  $('loading-retry').addEventListener('click', restore);

  // Signed out (or in) in another tab of this browser.
  window.addEventListener('storage', function (ev) {
    if (ev.key !== TOKEN_KEY && ev.key !== null) return;
    var t = loadToken();
    if (t === state.token) return;
    if (!t) { if (currentView === 'account') sessionEnded(); }
    else { state.token = t; restore(); }
  });

  window.setInterval(refreshRelativeTimes, 30000);
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden) refreshRelativeTimes();
  });

  restore();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();

/*
 * Notechondria account page.
 *
 * Plain script, no dependencies, no eval, no inline styles: it runs under
 *   default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; ...
 * Talks to the Notechondria 0.1.65 auth API under /api/v1/ on the same origin.
 */
(function () {
  'use strict';

  var TOKEN_KEY = 'notechondria.token';
  var API = '/api/v1/';
  var SESSION_ENDED = 'Your session has ended. Please sign in again.';

  // ---------------------------------------------------------------- helpers

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'text') node.textContent = v;
        else if (k === 'className') node.className = v;
        else node.setAttribute(k, v === true ? '' : String(v));
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }

  function svg(pathD) {
    var ns = 'http://www.w3.org/2000/svg';
    var s = document.createElementNS(ns, 'svg');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('width', '22');
    s.setAttribute('height', '22');
    s.setAttribute('aria-hidden', 'true');
    s.setAttribute('focusable', 'false');
    var p = document.createElementNS(ns, 'path');
    p.setAttribute('d', pathD);
    p.setAttribute('fill', 'currentColor');
    s.appendChild(p);
    return s;
  }

  var ICONS = {
    phone: 'M7 2h10a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm0 3v13h10V5zm4 14.5a1 1 0 1 0 2 0 1 1 0 0 0-2 0z',
    tablet: 'M5 2h14a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm0 3v13h14V5zm6 14.5a1 1 0 1 0 2 0 1 1 0 0 0-2 0z',
    laptop: 'M4 5a2 2 0 0 1 2-2h12a2 2 0 0 1 2 2v9H4zm2 0v7h12V5zM1 16h22v1.5A1.5 1.5 0 0 1 21.5 19h-19A1.5 1.5 0 0 1 1 17.5z',
    browser: 'M3 4h18a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H3a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm0 5v9h18V9zm1-3.2a.9.9 0 1 0 1.8 0 .9.9 0 0 0-1.8 0zm3 0a.9.9 0 1 0 1.8 0 .9.9 0 0 0-1.8 0z'
  };

  function deviceIcon(label) {
    var l = String(label || '').toLowerCase();
    if (l.indexOf('iphone') >= 0 || l.indexOf('android') >= 0) return ICONS.phone;
    if (l.indexOf('ipad') >= 0) return ICONS.tablet;
    if (l === 'mac' || l.indexOf('windows') >= 0 || l.indexOf('linux') >= 0) return ICONS.laptop;
    return ICONS.browser;
  }

  function browserName(ua) {
    ua = String(ua || '');
    var m;
    if ((m = /Edg(?:e|A|iOS)?\/(\d+)/.exec(ua))) return 'Edge ' + m[1];
    if ((m = /(?:OPR|Opera)\/(\d+)/.exec(ua))) return 'Opera ' + m[1];
    if ((m = /(?:Firefox|FxiOS)\/(\d+)/.exec(ua))) return 'Firefox ' + m[1];
    if ((m = /(?:HeadlessChrome)\/(\d+)/.exec(ua))) return 'Headless Chrome ' + m[1];
    if ((m = /(?:Chrome|CriOS)\/(\d+)/.exec(ua))) return 'Chrome ' + m[1];
    if ((m = /Version\/(\d+)[\d.]* .*Safari\//.exec(ua))) return 'Safari ' + m[1];
    if (/curl\//i.test(ua)) return 'curl';
    return '';
  }

  // Python isoformat(): "2026-04-23T03:32:23.123456+00:00" (microseconds optional).
  function parseTime(s) {
    if (!s) return null;
    var str = String(s).replace(/(\.\d{3})\d+/, '$1');
    var t = Date.parse(str);
    return isNaN(t) ? null : new Date(t);
  }

  var rtf = null;
  var dtf = null;
  try { rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }); } catch (e) { rtf = null; }
  try { dtf = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }); } catch (e) { dtf = null; }

  function relativeTime(date) {
    if (!date) return 'unknown';
    var diff = (date.getTime() - Date.now()) / 1000; // negative = past
    var abs = Math.abs(diff);
    var value;
    var unit;
    if (abs < 45) { value = 0; unit = 'second'; }
    else if (abs < 45 * 60) { value = Math.round(diff / 60); unit = 'minute'; }
    else if (abs < 22 * 3600) { value = Math.round(diff / 3600); unit = 'hour'; }
    else { value = Math.round(diff / 86400); unit = 'day'; }
    if (!rtf) {
      if (value === 0) return 'just now';
      var n = Math.abs(value);
      return n + ' ' + unit + (n === 1 ? '' : 's') + (value < 0 ? ' ago' : ' from now');
    }
    return rtf.format(value, unit);
  }

  function formatDate(date) {
    if (!date) return 'unknown';
    return dtf ? dtf.format(date) : date.toLocaleString();
  }

  function plural(n, one, many) { return n === 1 ? one : many; }

  // "<Consequence>: Backend.Creators.<Area>/<process> — <cause>." -> "<Consequence>: <Cause>."
  function humanize(msg) {
    if (msg === null || msg === undefined) return '';
    var s = String(msg).trim();
    var throttled = /^Request was throttled\.(?:\s*Expected available in (\d+) seconds?\.)?/.exec(s);
    if (throttled) {
      if (throttled[1]) {
        var secs = parseInt(throttled[1], 10);
        var wait = secs >= 120 ? Math.ceil(secs / 60) + ' minutes' : secs + plural(secs, ' second', ' seconds');
        return 'Too many attempts. Please wait ' + wait + ' and try again.';
      }
      return 'Too many attempts. Please wait a moment and try again.';
    }
    var m = /^(.*?):\s*Backend\.[^\s]+\s+[—–-]\s+(.+)$/.exec(s);
    if (m) {
      var cause = m[2].charAt(0).toUpperCase() + m[2].slice(1);
      return m[1] + ': ' + cause;
    }
    return s;
  }

  function asList(v) {
    if (v === null || v === undefined) return [];
    if (Array.isArray(v)) return v.map(function (x) { return typeof x === 'string' ? x : JSON.stringify(x); });
    if (typeof v === 'object') return [JSON.stringify(v)];
    return [String(v)];
  }

  // ---------------------------------------------------------------- API client

  function ApiError(status, data, message) {
    this.name = 'ApiError';
    this.status = status;
    this.data = data;
    this.message = message || ('HTTP ' + status);
    this.handled = false;
  }
  ApiError.prototype = Object.create(Error.prototype);
  ApiError.prototype.constructor = ApiError;

  var state = {
    token: null,
    user: null,
    epoch: 0,          // bumped whenever the signed-in identity changes
    otherSessions: 0,
    bannerDismissed: false,
    apiKeyPrefix: null,
    sessions: [],
    currentSessionId: null
  };

  function loadToken() {
    try { return window.localStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
  }
  function saveToken(t) {
    state.token = t;
    try { window.localStorage.setItem(TOKEN_KEY, t); } catch (e) { /* private mode */ }
  }
  function clearToken() {
    state.token = null;
    try { window.localStorage.removeItem(TOKEN_KEY); } catch (e) { /* ignore */ }
  }

  /**
   * api(method, path, {body, auth}) -> Promise<{status, data}>
   * auth: send "Authorization: Token <token>"; a 401 then ends the session.
   * Unauthenticated calls never send the header: a stale token would make the
   * server answer 401 even on login/register.
   */
  function api(method, path, opts) {
    opts = opts || {};
    var headers = { 'Accept': 'application/json' };
    var init = { method: method, headers: headers, credentials: 'same-origin', cache: 'no-store', redirect: 'error' };
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }
    var epoch = state.epoch;
    if (opts.auth) {
      if (!state.token) {
        var e0 = new ApiError(401, null, 'Not signed in');
        sessionEnded();
        e0.handled = true;
        return Promise.reject(e0);
      }
      headers['Authorization'] = 'Token ' + state.token;
    }
    return fetch(API + path, init).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        if (text) {
          try { data = JSON.parse(text); } catch (e) { data = null; }
        }
        if (res.ok) return { status: res.status, data: data };
        var err = new ApiError(res.status, data);
        if (res.status === 401 && opts.auth) {
          // Only end the session if nothing changed since the call started
          // (a newer sign-in must not be thrown away by an old request).
          if (epoch === state.epoch) sessionEnded();
          err.handled = true;
        }
        throw err;
      });
    }, function () {
      throw new ApiError(0, null, 'network');
    });
  }

  // Turn any error into {fields: {name: [msg]}, general: [msg]}.
  function describeError(err) {
    var out = { fields: {}, general: [] };
    if (!(err instanceof ApiError)) {
      out.general.push('Something went wrong in this page. Reload and try again.');
      if (window.console) console.error(err);
      return out;
    }
    if (err.status === 0) {
      out.general.push('Can’t reach the server. Check your connection and try again.');
      return out;
    }
    var d = err.data;
    if (d && typeof d === 'object' && !Array.isArray(d)) {
      Object.keys(d).forEach(function (k) {
        if (k === 'code') return; // machine-readable companion of detail
        var msgs = asList(d[k]).map(humanize);
        if (k === 'detail' || k === 'non_field_errors' || k === 'error' || k === 'message') {
          out.general = out.general.concat(msgs);
        } else {
          out.fields[k] = (out.fields[k] || []).concat(msgs);
        }
      });
    } else if (Array.isArray(d)) {
      out.general = out.general.concat(asList(d).map(humanize));
    }
    if (!out.general.length && !Object.keys(out.fields).length) {
      if (err.status === 429) out.general.push('Too many attempts. Please wait a moment and try again.');
      else if (err.status === 404) out.general.push('The server doesn’t support this action (HTTP 404).');
      else if (err.status >= 500) out.general.push('The server had a problem (HTTP ' + err.status + '). Try again in a moment.');
      else out.general.push('The request failed (HTTP ' + err.status + ').');
    }
    return out;
  }

  // ---------------------------------------------------------------- messages and form errors

  function setMessage(box, kind, lines) {
    if (!box) return;
    box.classList.remove('is-error', 'is-success', 'is-info');
    box.textContent = '';
    if (!lines || !lines.length) return;
    if (kind) box.classList.add('is-' + kind);
    if (typeof lines === 'string') lines = [lines];
    lines.forEach(function (line) { box.appendChild(el('p', { text: line })); });
  }

  function fieldLabel(form, name) {
    var input = form && form.elements ? form.elements.namedItem(name) : null;
    if (input && input.labels && input.labels[0]) {
      return input.labels[0].firstChild ? String(input.labels[0].firstChild.textContent).trim() : name;
    }
    return name.replace(/_/g, ' ').replace(/^./, function (c) { return c.toUpperCase(); });
  }

  function clearFormErrors(form) {
    if (!form) return;
    Array.prototype.forEach.call(form.querySelectorAll('.field-error'), function (n) { n.remove(); });
    Array.prototype.forEach.call(form.querySelectorAll('[aria-invalid]'), function (input) {
      input.removeAttribute('aria-invalid');
      var ids = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(function (id) {
        return id && id.slice(-6) !== '-error';
      });
      if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
      else input.removeAttribute('aria-describedby');
    });
  }

  function showFieldError(form, name, msgs) {
    var input = form.elements.namedItem(name);
    if (!input || !input.id) return false;
    var errId = input.id + '-error';
    var p = el('p', { className: 'field-error', id: errId, 'data-testid': input.id + '-error', text: msgs.join(' ') });
    input.parentNode.appendChild(p);
    input.setAttribute('aria-invalid', 'true');
    var ids = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    if (ids.indexOf(errId) < 0) ids.push(errId);
    input.setAttribute('aria-describedby', ids.join(' '));
    return true;
  }

  /** Show an API error next to a form; returns nothing. */
  function showError(err, box, form) {
    if (err && err.handled) return;
    var d = describeError(err);
    var general = d.general.slice();
    var firstInvalid = null;
    if (form) clearFormErrors(form);
    Object.keys(d.fields).forEach(function (name) {
      if (form && showFieldError(form, name, d.fields[name])) {
        if (!firstInvalid) firstInvalid = form.elements.namedItem(name);
      } else {
        general.push(fieldLabel(form, name) + ': ' + d.fields[name].join(' '));
      }
    });
    if (!general.length && firstInvalid) general.push('Please correct the highlighted field.');
    setMessage(box, 'error', general);
    if (firstInvalid && typeof firstInvalid.focus === 'function') firstInvalid.focus();
  }

  // submitForm wires a form: on submit it clears the message box, checks the
  // required fields, shows busyText on the submit button while send(values)
  // runs, and puts any error next to the form.
  function submitForm(form, box, busyText, send) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      setMessage(box);
      if (!checkRequired(form, box)) return;
      var btn = form.querySelector('button[type="submit"]');
      busy(btn, true, busyText);
      Promise.resolve()
        .then(function () { return send(values(form)); })
        .catch(function (err) { showError(err, box, form); })
        .then(function () { busy(btn, false); });
    });
  }

  /** Client-side "required" check so the user gets the same inline errors. */
  function checkRequired(form, box) {
    clearFormErrors(form);
    var first = null;
    Array.prototype.forEach.call(form.querySelectorAll('input[required]'), function (input) {
      if (!input.value.trim()) {
        showFieldError(form, input.name, ['This field is required.']);
        if (!first) first = input;
      }
    });
    if (first) {
      setMessage(box, 'error', 'Please fill in the highlighted ' + (form.querySelectorAll('[aria-invalid="true"]').length > 1 ? 'fields.' : 'field.'));
      first.focus();
      return false;
    }
    return true;
  }

  function busy(button, on, busyText) {
    if (!button) return;
    if (on) {
      if (!button.dataset.label) button.dataset.label = button.textContent;
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
      if (busyText) button.textContent = busyText;
    } else {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      if (button.dataset.label) { button.textContent = button.dataset.label; delete button.dataset.label; }
    }
  }

  function values(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name || input.type === 'submit' || input.type === 'button') return;
      out[input.name] = input.type === 'password' ? input.value : input.value.trim();
    });
    return out;
  }

  // ---------------------------------------------------------------- views

  var VIEWS = ['loading', 'signin', 'register', 'verify', 'forgot', 'account'];
  var currentView = null;

  function show(name, opts) {
    opts = opts || {};
    VIEWS.forEach(function (v) { $('view-' + v).hidden = v !== name; });
    var changed = currentView !== name;
    currentView = name;
    document.body.setAttribute('data-view', name);
    $('topbar-user').hidden = name !== 'account';
    var titles = {
      loading: 'Account', signin: 'Sign in', register: 'Create an account', verify: 'Verify your email',
      forgot: 'Reset your password', account: 'Your account'
    };
    document.title = titles[name] + ' · Notechondria';
    if (opts.focus !== false && changed) {
      var target = opts.focusEl || document.querySelector('#view-' + name + ' .view-title');
      if (target) target.focus({ preventScroll: false });
    }
  }

  function setNotice(node, kind, text) {
    node.classList.remove('is-info', 'is-success');
    if (kind && kind !== 'warn') node.classList.add('is-' + kind);
    node.textContent = text || '';
    node.hidden = !text;
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
          onAuthPayload(r.data);
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
    loadSettings();
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
    var box = $('apikey-message');
    var key = input.value;
    if (!key) return;
    function fallback() {
      input.focus();
      input.select();
      var ok = false;
      try { ok = document.execCommand && document.execCommand('copy'); } catch (e) { ok = false; }
      if (ok) setMessage(box, 'success', 'API key copied to the clipboard.');
      else setMessage(box, 'info', 'The key is selected: press Ctrl+C (⌘C on a Mac) to copy it.');
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(key).then(function () {
        setMessage(box, 'success', 'API key copied to the clipboard.');
      }, fallback);
    } else {
      fallback();
    }
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
    bindNavigation();
    bindSignIn();
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
})();

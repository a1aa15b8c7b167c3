// The API client and the signed-in state: the token in localStorage, one
// fetch wrapper (a 401 on an authenticated call ends the session), and
// errors turned into form messages.
import { asList, busy, checkRequired, clearFormErrors, fieldLabel, humanize, setMessage, showFieldError, values } from './dom.js';

export var TOKEN_KEY = 'notechondria.token';
var API = '/api/v1/';

export function ApiError(status, data, message) {
  this.name = 'ApiError';
  this.status = status;
  this.data = data;
  this.message = message || ('HTTP ' + status);
  this.handled = false;
}
ApiError.prototype = Object.create(Error.prototype);
ApiError.prototype.constructor = ApiError;

export var state = {
  token: null,
  user: null,
  epoch: 0,          // bumped whenever the signed-in identity changes
  otherSessions: 0,
  bannerDismissed: false,
  apiKeyPrefix: null,
  sessions: [],
  currentSessionId: null,
  twoFactor: null    // GET auth/2fa/ of the signed-in account, once loaded
};

// sessionEnded is what a 401 on an authenticated call does (the page sets
// it: back to sign-in with a message).
var sessionEnded = function () {};
export function onSessionEnded(fn) { sessionEnded = fn; }

// Listeners of the page's own changes: called after every authenticated
// call other than a GET succeeds (security.js reads the log again).
var writeListeners = [];
export function onWrite(fn) { writeListeners.push(fn); }

export function loadToken() {
  try { return window.localStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
}
export function saveToken(t) {
  state.token = t;
  try { window.localStorage.setItem(TOKEN_KEY, t); } catch (e) { /* private mode */ }
}
export function clearToken() {
  state.token = null;
  try { window.localStorage.removeItem(TOKEN_KEY); } catch (e) { /* ignore */ }
}

/**
 * api(method, path, {body, auth}) -> Promise<{status, data}>
 * auth: send "Authorization: Token <token>"; a 401 then ends the session.
 * Unauthenticated calls never send the header: a stale token would make the
 * server answer 401 even on login/register.
 */
export function api(method, path, opts) {
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
      if (res.ok) {
        if (opts.auth && method !== 'GET') writeListeners.forEach(function (fn) { fn(method, path); });
        return { status: res.status, data: data };
      }
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
export function describeError(err) {
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
      // A string "code" is the machine-readable companion of detail; a list is
      // the errors of a field named code (a verification code).
      if (k === 'code' && !Array.isArray(d[k])) return;
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

/** Show an API error next to a form; returns nothing. */
export function showError(err, box, form) {
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
// runs, and puts any error next to the form (or hands it to fail(err)).
export function submitForm(form, box, busyText, send, fail) {
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    setMessage(box);
    if (!checkRequired(form, box)) return;
    var btn = form.querySelector('button[type="submit"]');
    busy(btn, true, busyText);
    Promise.resolve()
      .then(function () { return send(values(form)); })
      .catch(function (err) { if (fail) fail(err); else showError(err, box, form); })
      .then(function () { busy(btn, false); });
  });
}


// Passkeys (WebAuthn): the Passkeys card (list, add with a name, remove),
// "Sign in with a passkey" on the sign-in form, and the "passkey" channel
// of the second step. The server sends the options of
// navigator.credentials.create/get as JSON with binary fields in base64url
// (no padding), and takes the credential back the same way.
import { $, busy, el, formatDate, parseTime, relativeTime, setMessage, svg } from './dom.js';
import { ApiError, api, describeError, showError, state, submitForm } from './client.js';
import { addChannel } from './secondstep.js';
import { withStepUp } from './stepup.js';
import { loadTwoFactor, offerSignOut } from './twofactor.js';

var KEY_ICON = 'M12.65 10A6 6 0 0 0 7 6a6 6 0 1 0 5.65 8H17v4h4v-4h2v-4zM7 14a2 2 0 1 1 0-4 2 2 0 0 1 0 4z';

var hooks = { onAuthPayload: null };

// unusable says why passkeys can't work on this page, or ''. Browsers
// refuse an IP address as a relying party, so at http://127.0.0.1 the page
// points to the same server by name.
function unusable() {
  if (!window.PublicKeyCredential || !navigator.credentials) return 'This browser can’t use passkeys.';
  if (!window.isSecureContext) return 'Passkeys need a secure (https) address.';
  var host = location.hostname;
  if (/^[\d.]+$/.test(host) || host.indexOf(':') >= 0) {
    var loopback = host === '127.0.0.1' || host === '[::1]' || host === '::1';
    return 'Passkeys don’t work at an IP address. Open this page by its name' +
      (loopback ? ', at http://localhost' + (location.port ? ':' + location.port : '') + '/' : '') + ', to use them.';
  }
  return '';
}

/** passkeysSupported reports whether passkeys can be used on this page. */
export function passkeysSupported() { return unusable() === ''; }

// ---------------------------------------------------------------- JSON <-> WebAuthn

function fromB64url(s) {
  var b64 = String(s).replace(/-/g, '+').replace(/_/g, '/');
  while (b64.length % 4) b64 += '=';
  var bin = atob(b64);
  var out = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

function toB64url(buf) {
  var bytes = new Uint8Array(buf);
  var bin = '';
  for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function descriptors(list) {
  return (list || []).map(function (d) { return Object.assign({}, d, { id: fromB64url(d.id) }); });
}

// creationOptions turns the server's {"publicKey": ...} into what
// navigator.credentials.create takes.
function creationOptions(options) {
  var pk = Object.assign({}, options.publicKey);
  pk.challenge = fromB64url(pk.challenge);
  pk.user = Object.assign({}, pk.user, { id: fromB64url(pk.user.id) });
  pk.excludeCredentials = descriptors(pk.excludeCredentials);
  return { publicKey: pk };
}

function requestOptions(options) {
  var pk = Object.assign({}, options.publicKey);
  pk.challenge = fromB64url(pk.challenge);
  if (pk.allowCredentials) pk.allowCredentials = descriptors(pk.allowCredentials);
  return { publicKey: pk };
}

function extensions(cred) {
  try { return cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}; } catch (e) { return {}; }
}

// attestationJSON is a new credential as the register/finish step takes it.
function attestationJSON(cred) {
  var r = cred.response;
  var transports = [];
  try { transports = r.getTransports ? r.getTransports() : []; } catch (e) { transports = []; }
  return {
    id: cred.id, rawId: toB64url(cred.rawId), type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
    clientExtensionResults: extensions(cred),
    response: { clientDataJSON: toB64url(r.clientDataJSON), attestationObject: toB64url(r.attestationObject), transports: transports }
  };
}

// assertionJSON is a signed assertion as login/finish and the passkey step take it.
function assertionJSON(cred) {
  var r = cred.response;
  return {
    id: cred.id, rawId: toB64url(cred.rawId), type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
    clientExtensionResults: extensions(cred),
    response: {
      clientDataJSON: toB64url(r.clientDataJSON), authenticatorData: toB64url(r.authenticatorData),
      signature: toB64url(r.signature), userHandle: r.userHandle ? toB64url(r.userHandle) : undefined
    }
  };
}

// A browser's refusal (a DOMException) in plain words; rejected with the
// handled flag set, so showError leaves it to us.
function browserError(err, box, what) {
  var name = err && err.name;
  var msg;
  if (name === 'NotAllowedError' || name === 'AbortError') msg = what + ' was cancelled, or took too long. Try again when you’re ready.';
  else if (name === 'InvalidStateError') msg = 'This device already has a passkey for your account.';
  else if (name === 'SecurityError') msg = 'Passkeys don’t work at this address: open the page at the address the server is set up for.';
  else if (name === 'NotSupportedError') msg = 'This device has no authenticator that can make a passkey.';
  else msg = what + ' didn’t work on this device (' + (name || 'unknown error') + ').';
  setMessage(box, 'error', msg);
}

function isBrowserError(err) { return !(err instanceof ApiError) && err && typeof err.name === 'string'; }

// showPasskeyError shows a passkey call's failure in box: the browser's
// refusal in plain words, the server's refusal of the credential without
// a field name (there is no credential field on the page), anything else
// as usual.
function showPasskeyError(err, box, what, form) {
  if (isBrowserError(err)) browserError(err, box, what);
  else if (err instanceof ApiError && !err.handled && err.status === 400 && err.data && err.data.credential) {
    setMessage(box, 'error', describeError(err).fields.credential);
  } else showError(err, box, form);
}

// ---------------------------------------------------------------- the card

/** loadPasskeys lists the account's passkeys. */
/**
 * reauthWithPasskey re-proves the session with one of the account's
 * passkeys for the step-up dialog: POST auth/reauth/ {"channel":"passkey"}
 * answers request options, the authenticator signs, the second call marks
 * the session fresh.
 */
export function reauthWithPasskey() {
  return api('POST', 'auth/reauth/', { auth: true, body: { channel: 'passkey' } }).then(function (r) {
    var begun = r.data || {};
    return navigator.credentials.get(requestOptions(begun.options || {})).then(function (cred) {
      return api('POST', 'auth/reauth/', { auth: true, body: { channel: 'passkey', challenge_id: begun.challenge_id, credential: assertionJSON(cred) } });
    });
  });
}

export { showPasskeyError };

export function loadPasskeys() {
  var epoch = state.epoch;
  var list = $('pk-list');
  list.setAttribute('aria-busy', 'true');
  return api('GET', 'auth/passkeys/', { auth: true }).then(function (r) {
    if (epoch !== state.epoch) return;
    render(Array.isArray(r.data) ? r.data : []);
  }, function (err) {
    if (epoch !== state.epoch) return;
    // A server without passkeys: no card.
    if (err instanceof ApiError && err.status === 404 && !err.handled) $('passkeys').hidden = true;
    else showError(err, $('pk-message'));
  }).then(function () {
    if (epoch === state.epoch) list.setAttribute('aria-busy', 'false');
  });
}

function render(keys) {
  var list = $('pk-list');
  $('passkeys').hidden = false;
  list.textContent = '';
  keys.forEach(function (k) { list.appendChild(row(k)); });
  $('pk-empty').hidden = keys.length > 0;
}

function row(k) {
  var lastUsed = parseTime(k.last_used_at);
  var meta = 'Added ' + formatDate(parseTime(k.created_at)) + ' · ' + (lastUsed ? 'last used ' + relativeTime(lastUsed) : 'not used yet');
  var remove = el('button', { type: 'button', className: 'btn btn-small btn-danger-outline', 'data-testid': 'pk-remove' },
    ['Remove', el('span', { className: 'sr-only', text: ' the passkey ' + k.name })]);
  var li = el('li', { className: 'session', 'data-testid': 'pk-row', 'data-passkey-id': k.id }, [
    el('span', { className: 'session-icon' }, [svg(KEY_ICON)]),
    el('div', { className: 'session-main' }, [
      el('p', { className: 'session-title' }, [el('span', { 'data-testid': 'pk-row-name', text: k.name })]),
      el('p', { className: 'session-meta', 'data-testid': 'pk-row-meta', text: meta })
    ]),
    el('div', { className: 'session-action' }, [remove])
  ]);
  remove.addEventListener('click', function () { confirmRemove(k, li, remove); });
  return li;
}

function confirmRemove(k, li, remove) {
  if (li.querySelector('.passkey-confirm')) return;
  var yes = el('button', { type: 'button', className: 'btn btn-small btn-danger', 'data-testid': 'pk-remove-yes', text: 'Remove passkey' });
  var no = el('button', { type: 'button', className: 'btn btn-small btn-ghost', 'data-testid': 'pk-remove-no', text: 'Cancel' });
  var box = el('div', { className: 'confirm-box passkey-confirm', 'data-testid': 'pk-remove-confirm' }, [
    el('p', { text: 'You won’t be able to sign in with “' + k.name + '” any more. It stays saved on the device until you delete it there too.' }),
    el('div', { className: 'button-row' }, [yes, no])
  ]);
  li.appendChild(box);
  remove.disabled = true;
  yes.focus();
  no.addEventListener('click', function () { box.remove(); remove.disabled = false; remove.focus(); });
  yes.addEventListener('click', function () { removePasskey(k, yes); });
}

function removePasskey(k, btn) {
  var box = $('pk-message');
  var epoch = state.epoch;
  setMessage(box);
  busy(btn, true, 'Removing…');
  withStepUp(function () { return api('DELETE', 'auth/passkeys/' + encodeURIComponent(k.id) + '/', { auth: true }); })
    .then(function () { return 'removed'; }, function (err) {
      if (err instanceof ApiError && err.status === 404 && !err.handled) return 'gone';
      throw err;
    })
    .then(function (how) {
      if (epoch !== state.epoch) return;
      setMessage(box, 'success', how === 'gone' ? 'That passkey was already removed.' : 'Passkey “' + k.name + '” removed.');
      if (how === 'removed') offerSignOut('pk');
      $('passkeys-title').focus();
      loadTwoFactor();
      return loadPasskeys();
    })
    .catch(function (err) { busy(btn, false); showError(err, box); });
}

function bindCard() {
  var form = $('pk-add-form');
  var box = $('pk-message');
  submitForm(form, box, 'Waiting for your device…', function (v) {
    var epoch = state.epoch;
    var name = v.name || undefined;
    return withStepUp(function () { return api('POST', 'auth/passkeys/register/begin/', { auth: true, body: { name: name } }); })
      .then(function (r) {
        var begun = r.data || {};
        return navigator.credentials.create(creationOptions(begun.options || {})).then(function (cred) {
          return api('POST', 'auth/passkeys/register/finish/', {
            auth: true, body: { challenge_id: begun.challenge_id, name: name, credential: attestationJSON(cred) }
          });
        });
      })
      .then(function (r) {
        if (epoch !== state.epoch) return;
        form.reset();
        setMessage(box, 'success', 'Passkey “' + ((r.data && r.data.name) || 'new passkey') + '” added. You can now sign in with it.');
        loadTwoFactor();
        return loadPasskeys();
      });
  }, function (err) { showPasskeyError(err, box, 'Making the passkey', form); });
}

/** resetPasskeys empties the card (signing out). */
export function resetPasskeys() {
  $('pk-list').textContent = '';
  $('pk-empty').hidden = true;
  $('pk-add-form').reset();
  $('pk-signout-offer').hidden = true;
  setMessage($('pk-message'));
}

// ---------------------------------------------------------------- signing in

function signInWithPasskey() {
  var btn = $('signin-passkey');
  var box = $('signin-message');
  setMessage(box);
  busy(btn, true, 'Waiting for your passkey…');
  api('POST', 'auth/passkeys/login/begin/', { body: {} })
    .then(function (r) {
      var begun = r.data || {};
      return navigator.credentials.get(requestOptions(begun.options || {})).then(function (cred) {
        return api('POST', 'auth/passkeys/login/finish/', { body: { challenge_id: begun.challenge_id, credential: assertionJSON(cred) } });
      });
    })
    .then(function (r) {
      busy(btn, false);
      $('signin-form').reset();
      hooks.onAuthPayload(r.data);
    })
    .catch(function (err) {
      busy(btn, false);
      showPasskeyError(err, box, 'Signing in with a passkey');
    });
}

// The second step's "passkey" channel: start it (the server answers the
// request options for this account's passkeys), sign, verify.
var stepCtx = null;
function bindChannel() {
  addChannel('passkey', {
    panel: 'second-passkey',
    label: 'Use a passkey',
    open: function (ctx) {
      stepCtx = ctx;
      var why = unusable();
      $('second-passkey-why').textContent = why;
      $('second-passkey-why').hidden = why === '';
      $('second-passkey-use').disabled = why !== '';
    },
    bind: function () {
      var btn = $('second-passkey-use');
      btn.addEventListener('click', function () {
        var ctx = stepCtx;
        setMessage(ctx.box);
        busy(btn, true, 'Waiting for your passkey…');
        ctx.challenge({ channel: 'passkey' })
          .then(function (r) {
            return navigator.credentials.get(requestOptions((r.data && r.data.options) || {}));
          })
          .then(function (cred) { return ctx.verify({ channel: 'passkey', credential: assertionJSON(cred) }); })
          .then(function (r) { busy(btn, false); if (ctx.alive()) ctx.finish(r.data); })
          .catch(function (err) {
            busy(btn, false);
            if (!ctx.alive()) return;
            if (isBrowserError(err) || (err instanceof ApiError && err.status === 400 && err.data && err.data.credential)) {
              showPasskeyError(err, ctx.box, 'Using the passkey');
            } else {
              ctx.failed(err);
            }
          });
      });
    }
  });
}

// Registered at load time, before the second step binds its channels
// (where passkeys can't work, the panel says why).
bindChannel();

/** bindPasskeys wires the card and the sign-in button; h: {onAuthPayload}. */
export function bindPasskeys(h) {
  hooks = h;
  var why = unusable();
  $('signin-passkey-box').hidden = why !== '';
  $('pk-unsupported').textContent = why;
  $('pk-unsupported').hidden = why === '';
  $('pk-add-form').hidden = why !== '';
  bindCard();
  $('signin-passkey').addEventListener('click', signInWithPasskey);
}

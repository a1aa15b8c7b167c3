// Step-up: the endpoints that change how the account signs in answer 403
// {"reauth_required": true} when the session's last sign-in is older than
// the server's re-authentication window. withStepUp(action) then opens the
// "Confirm it's you" dialog (the password, a code from the authenticator
// app when one is on, or a passkey when the account has one), POSTs
// auth/reauth/, and runs the action once more.
import { $, busy, checkRequired, clearFormErrors, setMessage } from './dom.js';
import { ApiError, api, showError, state } from './client.js';
import { passkeysSupported, reauthWithPasskey, showPasskeyError } from './passkeys.js';

var waiting = null; // {resolve, reject} of the open dialog
var mode = 'password';

/** needsStepUp reports whether err is the server asking for a step-up. */
export function needsStepUp(err) {
  return err instanceof ApiError && err.status === 403 && !!err.data && err.data.reauth_required === true;
}

/**
 * withStepUp runs action (a function returning an api() promise); when it
 * answers reauth_required, asks the user to confirm it's them and runs it
 * again, once. Cancelling rejects with a handled error (showError ignores
 * it).
 */
export function withStepUp(action) {
  return action().catch(function (err) {
    if (!needsStepUp(err)) throw err;
    return confirmIdentity().then(action);
  });
}

function confirmIdentity() {
  if (waiting) waiting.reject(cancelled());
  return new Promise(function (resolve, reject) {
    waiting = { resolve: resolve, reject: reject };
    openDialog();
  });
}

function cancelled() {
  var err = new ApiError(0, null, 'cancelled');
  err.handled = true;
  err.cancelled = true;
  return err;
}

function openDialog() {
  var form = $('stepup-form');
  form.reset();
  clearFormErrors(form);
  setMessage($('stepup-message'));
  $('stepup-switch').hidden = !(state.twoFactor && state.twoFactor.totp);
  $('stepup-passkey').hidden = !(state.twoFactor && state.twoFactor.passkeys > 0 && passkeysSupported());
  setMode('password');
  var dialog = $('stepup');
  if (!dialog.open) dialog.showModal();
  $('stepup-password').focus();
}

function setMode(m) {
  mode = m;
  var password = m === 'password';
  $('stepup-password-field').hidden = !password;
  $('stepup-password').disabled = !password;
  $('stepup-code-field').hidden = password;
  $('stepup-code').disabled = password;
  $('stepup-intro').textContent = 'This change needs a recent sign-in. ' +
    (password ? 'Enter your password to go on.' : 'Enter the 6-digit code from your authenticator app to go on.');
  $('stepup-switch').textContent = password ? 'Use your authenticator app instead' : 'Use your password instead';
}

// finish closes the dialog; ok: the session is fresh again.
function finish(ok) {
  var w = waiting;
  waiting = null;
  var dialog = $('stepup');
  if (dialog.open) dialog.close();
  $('stepup-form').reset();
  if (w) {
    if (ok) w.resolve();
    else w.reject(cancelled());
  }
}

/** closeStepUp cancels an open dialog (the account view is going away). */
export function closeStepUp() {
  if (waiting || $('stepup').open) finish(false);
}

/** bindStepUp wires the dialog. */
export function bindStepUp() {
  var form = $('stepup-form');
  var box = $('stepup-message');
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    setMessage(box);
    if (!checkRequired(form, box)) return;
    var body = mode === 'password'
      ? { password: $('stepup-password').value }
      : { channel: 'totp', code: $('stepup-code').value.replace(/\s+/g, '') };
    var btn = $('stepup-submit');
    busy(btn, true, 'Checking…');
    api('POST', 'auth/reauth/', { auth: true, body: body })
      .then(function () { busy(btn, false); finish(true); }, function (err) {
        busy(btn, false);
        if (err.handled) { finish(false); return; } // the session ended
        showError(err, box, form);
      });
  });
  $('stepup-switch').addEventListener('click', function () {
    clearFormErrors(form);
    setMessage(box);
    setMode(mode === 'password' ? 'totp' : 'password');
    (mode === 'password' ? $('stepup-password') : $('stepup-code')).focus();
  });
  $('stepup-passkey').addEventListener('click', function () {
    clearFormErrors(form);
    setMessage(box);
    var btn = $('stepup-passkey');
    busy(btn, true, 'Waiting for your passkey…');
    reauthWithPasskey().then(function () { busy(btn, false); finish(true); }, function (err) {
      busy(btn, false);
      if (err instanceof ApiError && err.handled) { finish(false); return; } // the session ended
      showPasskeyError(err, box, 'Confirming with a passkey', form);
    });
  });
  $('stepup-cancel').addEventListener('click', function () { finish(false); });
  // Escape closes a modal dialog by itself: treat it as Cancel.
  $('stepup').addEventListener('cancel', function (ev) {
    ev.preventDefault();
    finish(false);
  });
}

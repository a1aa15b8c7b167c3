// The "Two-step sign-in" card: what GET auth/2fa/ says is on, enrolling an
// authenticator app (QR code and key, then a code), the recovery codes
// (shown once, downloadable), turning the app off, and "Confirm new
// sign-ins". Every change that weakens sign-in or replaces codes offers to
// sign out the other sessions afterwards.
import { $, busy, copyText, el, plural, setMessage } from './dom.js';
import { api, showError, state, submitForm } from './client.js';
import { withStepUp } from './stepup.js';

var hooks = { loadSessions: null };
var enrolSecret = '';
var shownCodes = null;

function box() { return $('tf-message'); }

/** loadTwoFactor reads GET auth/2fa/ into state.twoFactor and shows it. */
export function loadTwoFactor() {
  var epoch = state.epoch;
  return api('GET', 'auth/2fa/', { auth: true }).then(function (r) {
    if (epoch !== state.epoch) return;
    state.twoFactor = r.data || {};
    render();
  }, function (err) {
    if (epoch !== state.epoch) return;
    $('tf-totp-status').textContent = 'Couldn’t load your two-step sign-in settings.';
    showError(err, box());
  });
}

function render() {
  var tf = state.twoFactor;
  var setup = $('tf-totp-setup');
  var toggle = $('tf-confirm-toggle');
  if (!tf) {
    $('tf-totp-status').textContent = 'Checking…';
    setup.disabled = true;
    setup.hidden = false;
    $('tf-totp-off').hidden = true;
    $('tf-recovery').hidden = true;
    $('tf-required').hidden = true;
    toggle.disabled = true;
    toggle.checked = false;
    return;
  }
  var on = tf.totp === true;
  $('tf-totp-status').textContent = on
    ? 'On. Signing in with your password also asks for a code from the app.'
    : 'Off. An app such as Google Authenticator, Microsoft Authenticator, 1Password or Aegis shows a new 6-digit code every 30 seconds.';
  $('tf-totp-status').setAttribute('data-state', on ? 'on' : 'off');
  setup.hidden = on || !$('tf-enrol').hidden;
  setup.disabled = false;
  $('tf-totp-off').hidden = !on;
  if (!on) $('tf-totp-off-confirm').hidden = true;
  renderRecovery(on, tf.recovery_codes_left || 0);
  $('tf-required').hidden = tf.required !== true;
  toggle.checked = tf.confirm_new_sign_ins === true;
  toggle.disabled = false;
}

function renderRecovery(on, left) {
  $('tf-recovery').hidden = !on;
  if (!on) { $('tf-recovery-confirm').hidden = true; return; }
  $('tf-recovery-status').textContent = left > 0
    ? left + ' unused ' + plural(left, 'code', 'codes') + ' left. Each one signs you in once if you lose your authenticator app.'
    : 'No unused codes left. Make new ones so you can still sign in if you lose your authenticator app.';
  $('tf-recovery-status').setAttribute('data-left', String(left));
}

/** resetTwoFactor forgets the card's state (signing out). */
export function resetTwoFactor() {
  state.twoFactor = null;
  closeEnrol();
  hideCodes();
  $('tf-totp-off-confirm').hidden = true;
  $('tf-recovery-confirm').hidden = true;
  $('tf-signout-offer').hidden = true;
  setMessage(box());
  render();
}

// ---------------------------------------------------------------- enrolment

function startSetup() {
  var btn = $('tf-totp-setup');
  var epoch = state.epoch;
  setMessage(box());
  busy(btn, true, 'Starting…');
  withStepUp(function () { return api('POST', 'auth/2fa/totp/setup/', { auth: true }); })
    .then(function (r) {
      if (epoch !== state.epoch) return;
      openEnrol(r.data || {});
    })
    .catch(function (err) { showError(err, box()); })
    .then(function () { busy(btn, false); render(); });
}

// openEnrol shows the QR code and the key. The QR code is an SVG our
// server drew; it goes into an <img> as a data: URL, where an SVG can run
// no script and touch no page, so nothing of it is parsed into the DOM.
function openEnrol(setup) {
  enrolSecret = String(setup.secret || '');
  var qr = $('tf-qr');
  var svgText = typeof setup.qr_svg === 'string' ? setup.qr_svg : '';
  if (/^<svg[\s>]/.test(svgText)) {
    qr.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svgText);
    qr.hidden = false;
  } else {
    qr.removeAttribute('src');
    qr.hidden = true;
  }
  $('tf-secret').textContent = enrolSecret.replace(/(.{4})(?=.)/g, '$1 ');
  $('tf-confirm-form').reset();
  $('tf-enrol').hidden = false;
  $('tf-totp-setup').hidden = true;
  $('tf-enrol').focus();
}

function closeEnrol() {
  enrolSecret = '';
  $('tf-enrol').hidden = true;
  $('tf-qr').removeAttribute('src');
  $('tf-secret').textContent = '';
  $('tf-confirm-form').reset();
}

function bindEnrol() {
  $('tf-totp-setup').addEventListener('click', startSetup);
  $('tf-secret-copy').addEventListener('click', function () {
    if (enrolSecret) copyText(enrolSecret, $('tf-secret'), box(), 'Key');
  });
  $('tf-enrol-cancel').addEventListener('click', function () {
    closeEnrol();
    setMessage(box());
    render();
    $('tf-totp-setup').focus();
  });
  var form = $('tf-confirm-form');
  submitForm(form, box(), 'Turning on…', function (v) {
    var epoch = state.epoch;
    return api('POST', 'auth/2fa/totp/confirm/', { auth: true, body: { code: v.code.replace(/\s+/g, '') } })
      .then(function (r) {
        if (epoch !== state.epoch) return;
        closeEnrol();
        showCodes((r.data && r.data.recovery_codes) || [],
          'Your authenticator app is on. From now on, signing in asks for a code from it.');
        return loadTwoFactor();
      });
  });
}

// ---------------------------------------------------------------- recovery codes

function showCodes(codes, message) {
  shownCodes = codes.slice();
  var list = $('tf-codes-list');
  list.textContent = '';
  codes.forEach(function (c) { list.appendChild(el('li', { className: 'mono', 'data-testid': 'tf-code', text: c })); });
  $('tf-codes').hidden = false;
  setMessage(box(), 'success', message);
  $('tf-codes').focus();
}

function hideCodes() {
  shownCodes = null;
  $('tf-codes-list').textContent = '';
  $('tf-codes').hidden = true;
}

function codesText() {
  var u = state.user || {};
  var who = [u.username, u.email].filter(Boolean).join(', ');
  return ['Notechondria recovery codes' + (who ? ' for ' + who : ''),
    'Made ' + new Date().toLocaleString(),
    '',
    'If you lose your authenticator app, each code signs you in once.',
    'Keep them somewhere safe, such as a password manager.',
    ''].concat(shownCodes).join('\n') + '\n';
}

// download saves the codes as a text file through a Blob URL.
function download() {
  if (!shownCodes) return;
  var url = URL.createObjectURL(new Blob([codesText()], { type: 'text/plain;charset=utf-8' }));
  var a = el('a', { href: url, download: 'notechondria-recovery-codes.txt', hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
}

function newCodes() {
  var btn = $('tf-recovery-yes');
  var epoch = state.epoch;
  setMessage(box());
  busy(btn, true, 'Making codes…');
  withStepUp(function () { return api('POST', 'auth/2fa/recovery-codes/', { auth: true }); })
    .then(function (r) {
      if (epoch !== state.epoch) return;
      $('tf-recovery-confirm').hidden = true;
      showCodes((r.data && r.data.recovery_codes) || [], 'New recovery codes made. The old ones no longer work.');
      offerSignOut('tf');
      return loadTwoFactor();
    })
    .catch(function (err) { showError(err, box()); })
    .then(function () { busy(btn, false); });
}

function bindRecovery() {
  $('tf-codes-download').addEventListener('click', download);
  $('tf-codes-copy').addEventListener('click', function () {
    if (shownCodes) copyText(shownCodes.join('\n'), $('tf-codes-list'), box(), 'Recovery codes');
  });
  $('tf-codes-done').addEventListener('click', function () {
    hideCodes();
    setMessage(box());
    $('twofactor-title').focus();
  });
  $('tf-recovery-new').addEventListener('click', function () {
    $('tf-recovery-confirm').hidden = false;
    $('tf-recovery-yes').focus();
  });
  $('tf-recovery-yes').addEventListener('click', newCodes);
  $('tf-recovery-no').addEventListener('click', function () {
    $('tf-recovery-confirm').hidden = true;
    $('tf-recovery-new').focus();
  });
}

// ---------------------------------------------------------------- turning things off

function turnOffTOTP() {
  var btn = $('tf-totp-off-yes');
  var epoch = state.epoch;
  setMessage(box());
  busy(btn, true, 'Turning off…');
  withStepUp(function () { return api('DELETE', 'auth/2fa/totp/', { auth: true }); })
    .then(function () {
      if (epoch !== state.epoch) return;
      $('tf-totp-off-confirm').hidden = true;
      hideCodes();
      setMessage(box(), 'success', 'Your authenticator app is off, and its recovery codes are deleted.');
      offerSignOut('tf');
      return loadTwoFactor();
    })
    .catch(function (err) { showError(err, box()); })
    .then(function () { busy(btn, false); });
}

function setConfirmSignIns() {
  var toggle = $('tf-confirm-toggle');
  var want = toggle.checked;
  var epoch = state.epoch;
  setMessage(box());
  toggle.disabled = true;
  withStepUp(function () { return api('PATCH', 'auth/2fa/', { auth: true, body: { confirm_new_sign_ins: want } }); })
    .then(function (r) {
      if (epoch !== state.epoch) return;
      state.twoFactor = r.data || state.twoFactor;
      setMessage(box(), 'success', want
        ? 'New sign-ins now need a confirmation: an approval from a signed-in device, or an emailed code.'
        : 'New sign-ins no longer need a confirmation.');
      if (!want) offerSignOut('tf');
    })
    .catch(function (err) {
      toggle.checked = !want;
      showError(err, box());
    })
    .then(function () { if (epoch === state.epoch) render(); });
}

// offerSignOut shows "Sign out all other sessions" in the card of prefix
// ("tf", "pk") when other sessions are signed in (the list is read again
// first).
export function offerSignOut(prefix) {
  var epoch = state.epoch;
  Promise.resolve(hooks.loadSessions()).then(function () {
    if (epoch === state.epoch && state.otherSessions > 0) $(prefix + '-signout-offer').hidden = false;
  });
}

function signOutOthers(prefix) {
  var btn = $(prefix + '-signout-others');
  var out = $(prefix + '-message');
  setMessage(out);
  busy(btn, true, 'Signing out…');
  api('DELETE', 'auth/sessions/', { auth: true })
    .then(function (r) {
      var n = r.data && typeof r.data.revoked === 'number' ? r.data.revoked : 0;
      $(prefix + '-signout-offer').hidden = true;
      setMessage(out, 'success', n === 0 ? 'No other devices were signed in.'
        : 'Signed out ' + n + ' other ' + plural(n, 'device', 'devices') + '.');
      return hooks.loadSessions();
    })
    .catch(function (err) { showError(err, out); })
    .then(function () { busy(btn, false); });
}

function bindSignOutOffer(prefix, title) {
  $(prefix + '-signout-others').addEventListener('click', function () { signOutOthers(prefix); });
  $(prefix + '-signout-dismiss').addEventListener('click', function () {
    $(prefix + '-signout-offer').hidden = true;
    $(title).focus();
  });
}

/** bindTwoFactor wires the card; h: {loadSessions}. */
export function bindTwoFactor(h) {
  hooks = h;
  bindEnrol();
  bindRecovery();
  $('tf-totp-off').addEventListener('click', function () {
    $('tf-totp-off-confirm').hidden = false;
    $('tf-totp-off-yes').focus();
  });
  $('tf-totp-off-yes').addEventListener('click', turnOffTOTP);
  $('tf-totp-off-no').addEventListener('click', function () {
    $('tf-totp-off-confirm').hidden = true;
    $('tf-totp-off').focus();
  });
  $('tf-confirm-toggle').addEventListener('change', setConfirmSignIns);
  bindSignOutOffer('tf', 'twofactor-title');
  bindSignOutOffer('pk', 'passkeys-title');
}

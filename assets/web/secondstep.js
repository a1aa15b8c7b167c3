// The second step of a password sign-in. POST auth/login/ answered
// {"pending_2fa": true, "challenge_id", "channels"}: this view offers the
// channels in the server's order (the first one open, the others as "other
// ways") and answers the challenge with POST auth/2fa/challenge/ and
// POST auth/2fa/verify/.
//
// Each channel is an entry of a small registry: its panel (an element of
// #view-second), the label of its "other way" button, and open(ctx), run
// when the panel is shown. A channel the page does not know is skipped, so
// passkeys.js adds "passkey" with addChannel() without touching this file.
import { $, busy, clearFormErrors, el, setMessage } from './dom.js';
import { ApiError, api, describeError, showError, submitForm } from './client.js';

var VERIFY_POLL_MS = 1500;

var hooks = { onAuthPayload: null, goSignIn: null, show: null };
var channels = {};
var current = null; // { id, channels, identifier, channel }
var openCount = 0;  // bumped whenever a panel opens or the step ends: stale polls stop

/** addChannel registers a channel: {panel, label, open(ctx)}. */
export function addChannel(name, def) { channels[name] = def; }

/** startSecondStep shows the second step for the login answer pending. */
export function startSecondStep(pending, identifier) {
  var offered = (pending.channels || []).filter(function (c) { return channels[c]; });
  current = { id: pending.challenge_id, channels: offered, identifier: identifier || '', channel: null };
  if (!offered.length) {
    backToPassword('This account needs a sign-in step this page can’t do. Sign in from the Notechondria app, or ask an administrator.');
    return;
  }
  setMessage($('second-message'));
  hooks.show('second');
  openChannel(offered[0]);
}

/** leaveSecondStep ends the second step (its polls stop). */
export function leaveSecondStep() {
  openCount++;
  current = null;
}

// ctx is what a channel's open() works with.
function context() {
  var mine = ++openCount;
  var id = current.id;
  return {
    id: id,
    box: $('second-message'),
    alive: function () { return mine === openCount && document.body.getAttribute('data-view') === 'second'; },
    challenge: function (body) {
      return api('POST', 'auth/2fa/challenge/', { body: Object.assign({ challenge_id: id }, body) });
    },
    verify: function (body) {
      return api('POST', 'auth/2fa/verify/', { body: Object.assign({ challenge_id: id }, body) });
    },
    finish: finish,
    failed: failed
  };
}

function openChannel(name) {
  current.channel = name;
  Object.keys(channels).forEach(function (c) {
    var panel = $(channels[c].panel);
    if (panel) panel.hidden = c !== name;
  });
  setMessage($('second-message'));
  renderOthers();
  var panel = $(channels[name].panel);
  Array.prototype.forEach.call(panel.querySelectorAll('form'), function (f) { f.reset(); clearFormErrors(f); });
  channels[name].open(context());
  focusIn(panel);
}

function focusIn(panel) {
  var target = panel.querySelector('input:not([disabled]):not([type="hidden"])');
  if (target && target.offsetParent === null) target = null; // inside a hidden part
  if (!target) target = panel.querySelector('.panel-title');
  if (target) target.focus();
}

var LABELS = {
  totp: 'Use your authenticator app',
  passkey: 'Use a passkey',
  device: 'Approve on another device',
  email: 'Email me a code',
  recovery: 'Use a recovery code'
};

function renderOthers() {
  var list = $('second-others');
  list.textContent = '';
  var others = current.channels.filter(function (c) { return c !== current.channel; });
  others.forEach(function (c) {
    var btn = el('button', {
      type: 'button', className: 'btn btn-ghost btn-block', 'data-testid': 'second-use-' + c,
      'data-channel': c, text: channels[c].label || LABELS[c] || c
    });
    btn.addEventListener('click', function () { openChannel(c); });
    list.appendChild(btn);
  });
  $('second-others-box').hidden = others.length === 0;
}

function finish(payload) {
  leaveSecondStep();
  hooks.onAuthPayload(payload);
}

// failed handles the error of a second-step call. A challenge that is
// unknown, expired, used up or ended by wrong answers (400 on
// challenge_id), and a sign-in denied on another device (403), end the
// attempt: back to the password form with the server's words. Anything
// else (a wrong code, too many attempts) is shown next to form.
function failed(err, form) {
  if (!current) return;
  if (err instanceof ApiError && !err.handled &&
      (err.status === 403 || (err.status === 400 && err.data && err.data.challenge_id))) {
    var d = describeError(err);
    backToPassword((d.fields.challenge_id || d.general).join(' '));
    return;
  }
  showError(err, $('second-message'), form);
}

function backToPassword(message) {
  var identifier = current ? current.identifier : '';
  leaveSecondStep();
  hooks.goSignIn(message, 'warn', identifier);
  if (identifier) $('signin-password').focus();
}

// ---------------------------------------------------------------- the channels

// codeChannel is a panel that is one form with a code field.
function codeChannel(name, panel, busyText) {
  var ctx = null;
  addChannel(name, {
    panel: panel,
    label: LABELS[name],
    open: function (c) { ctx = c; },
    bind: function () {
      var form = $(panel);
      submitForm(form, $('second-message'), busyText, function (v) {
        var code = name === 'recovery' ? v.code : v.code.replace(/\s+/g, '');
        return ctx.verify({ channel: name, code: code }).then(function (r) { if (ctx.alive()) finish(r.data); });
      }, function (err) { failed(err, form); });
    }
  });
}

codeChannel('totp', 'second-totp', 'Verifying…');
codeChannel('recovery', 'second-recovery', 'Verifying…');

// device: ask for a number, show it, and poll verify until a signed-in
// device answers (202 while waiting, the auth payload once approved, 403
// once denied).
var deviceCtx = null;
addChannel('device', {
  panel: 'second-device',
  label: LABELS.device,
  open: function (ctx) {
    deviceCtx = ctx;
    $('second-device-intro').hidden = false;
    $('second-device-wait').hidden = true;
  },
  bind: function () {
    $('second-device-start').addEventListener('click', function () { askNumber($('second-device-start')); });
    $('second-device-again').addEventListener('click', function () { askNumber($('second-device-again')); });
  }
});

function askNumber(btn) {
  var ctx = deviceCtx;
  setMessage(ctx.box);
  busy(btn, true, 'Getting a number…');
  ctx.challenge({ channel: 'device' })
    .then(function (r) {
      if (!ctx.alive()) return;
      $('second-device-number').textContent = String((r.data && r.data.number) || '');
      $('second-device-status').textContent = 'Waiting for your answer…';
      $('second-device-intro').hidden = true;
      $('second-device-wait').hidden = false;
      $('second-device-wait').focus();
      pollDevice(ctx, ++devicePolls);
    })
    .catch(function (err) { failed(err); })
    .then(function () { busy(btn, false); });
}

var devicePolls = 0; // a new number starts a new poll; the old one stops

function pollDevice(ctx, mine) {
  window.setTimeout(function () {
    if (!ctx.alive() || mine !== devicePolls) return;
    ctx.verify({ channel: 'device' }).then(function (r) {
      if (!ctx.alive() || mine !== devicePolls) return;
      if (r.status === 202) pollDevice(ctx, mine);
      else finish(r.data);
    }, function (err) {
      if (!ctx.alive() || mine !== devicePolls) return;
      if (err instanceof ApiError && err.status === 0) {
        $('second-device-status').textContent = 'Can’t reach the server. Still trying…';
        pollDevice(ctx, mine);
        return;
      }
      failed(err);
    });
  }, VERIFY_POLL_MS);
}

// email: send a code on request, then a code form.
var emailCtx = null;
addChannel('email', {
  panel: 'second-email',
  label: LABELS.email,
  open: function (ctx) {
    emailCtx = ctx;
    $('second-email-send').textContent = 'Email me a code';
    $('second-email-send').className = 'btn btn-primary btn-block';
    $('second-email-intro').hidden = false;
    $('second-email-form').hidden = true;
  },
  bind: function () {
    var btn = $('second-email-send');
    btn.addEventListener('click', function () {
      var ctx = emailCtx;
      setMessage(ctx.box);
      busy(btn, true, 'Sending…');
      ctx.challenge({ channel: 'email' })
        .then(function (r) {
          if (!ctx.alive()) return;
          var to = (r.data && r.data.sent_to) || 'the address on your account';
          $('second-email-sent').textContent = 'We sent a 6-digit code to ' + to + '.';
          $('second-email-intro').hidden = true;
          $('second-email-form').hidden = false;
          busy(btn, false);
          btn.textContent = 'Send a new code';
          btn.className = 'btn-link';
          $('second-email-code').focus();
        })
        .catch(function (err) { failed(err); })
        .then(function () { busy(btn, false); });
    });
    var form = $('second-email-form');
    submitForm(form, $('second-message'), 'Verifying…', function (v) {
      var ctx = emailCtx;
      return ctx.verify({ channel: 'email', code: v.code.replace(/\s+/g, '') })
        .then(function (r) { if (ctx.alive()) finish(r.data); });
    }, function (err) { failed(err, form); });
  }
});

/** bindSecondStep wires the view; h: {onAuthPayload, goSignIn, show}. */
export function bindSecondStep(h) {
  hooks = h;
  Object.keys(channels).forEach(function (c) { if (channels[c].bind) channels[c].bind(); });
  $('second-cancel').addEventListener('click', function () {
    var identifier = current ? current.identifier : '';
    leaveSecondStep();
    hooks.goSignIn('', null, identifier);
  });
}

// Page helpers without state: DOM building, times, server messages in
// plain words, form messages and field errors, busy buttons.
export function $(id) { return document.getElementById(id); }

export function el(tag, attrs, children) {
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

export function svg(pathD) {
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

export var ICONS = {
  phone: 'M7 2h10a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm0 3v13h10V5zm4 14.5a1 1 0 1 0 2 0 1 1 0 0 0-2 0z',
  tablet: 'M5 2h14a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm0 3v13h14V5zm6 14.5a1 1 0 1 0 2 0 1 1 0 0 0-2 0z',
  laptop: 'M4 5a2 2 0 0 1 2-2h12a2 2 0 0 1 2 2v9H4zm2 0v7h12V5zM1 16h22v1.5A1.5 1.5 0 0 1 21.5 19h-19A1.5 1.5 0 0 1 1 17.5z',
  browser: 'M3 4h18a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H3a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm0 5v9h18V9zm1-3.2a.9.9 0 1 0 1.8 0 .9.9 0 0 0-1.8 0zm3 0a.9.9 0 1 0 1.8 0 .9.9 0 0 0-1.8 0z'
};

export function deviceIcon(label) {
  var l = String(label || '').toLowerCase();
  if (l.indexOf('iphone') >= 0 || l.indexOf('android') >= 0) return ICONS.phone;
  if (l.indexOf('ipad') >= 0) return ICONS.tablet;
  if (l === 'mac' || l.indexOf('windows') >= 0 || l.indexOf('linux') >= 0) return ICONS.laptop;
  return ICONS.browser;
}

export function browserName(ua) {
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
export function parseTime(s) {
  if (!s) return null;
  var str = String(s).replace(/(\.\d{3})\d+/, '$1');
  var t = Date.parse(str);
  return isNaN(t) ? null : new Date(t);
}

var rtf = null;
var dtf = null;
try { rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }); } catch (e) { rtf = null; }
try { dtf = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }); } catch (e) { dtf = null; }

export function relativeTime(date) {
  if (!date) return 'unknown';
  var diff = (date.getTime() - Date.now()) / 1000; // negative = past
  var abs = Math.abs(diff);
  var value;
  var unit;
  if (abs < 45) { value = 0; unit = 'second'; }
  else if (abs < 45 * 60) { value = Math.round(diff / 60); unit = 'minute'; }
  else if (abs < 22 * 3600) { value = Math.round(diff / 3600); unit = 'hour'; }
  else { value = Math.round(diff / 86400); unit = 'day'; }
  if (value === 0) return 'just now'; // Intl says "now", which reads oddly after "Last seen" or a comma
  if (!rtf) {
    var n = Math.abs(value);
    return n + ' ' + unit + (n === 1 ? '' : 's') + (value < 0 ? ' ago' : ' from now');
  }
  return rtf.format(value, unit);
}

export function formatDate(date) {
  if (!date) return 'unknown';
  return dtf ? dtf.format(date) : date.toLocaleString();
}

export function plural(n, one, many) { return n === 1 ? one : many; }

// "<Consequence>: Backend.Creators.<Area>/<process> — <cause>." -> "<Consequence>: <Cause>."
export function humanize(msg) {
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

export function asList(v) {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v.map(function (x) { return typeof x === 'string' ? x : JSON.stringify(x); });
  if (typeof v === 'object') return [JSON.stringify(v)];
  return [String(v)];
}

// ---------------------------------------------------------------- messages and form errors

export function setMessage(box, kind, lines) {
  if (!box) return;
  box.classList.remove('is-error', 'is-success', 'is-info');
  box.textContent = '';
  if (!lines || !lines.length) return;
  if (kind) box.classList.add('is-' + kind);
  if (typeof lines === 'string') lines = [lines];
  lines.forEach(function (line) { box.appendChild(el('p', { text: line })); });
}

export function fieldLabel(form, name) {
  var input = form && form.elements ? form.elements.namedItem(name) : null;
  if (input && input.labels && input.labels[0]) {
    return input.labels[0].firstChild ? String(input.labels[0].firstChild.textContent).trim() : name;
  }
  return name.replace(/_/g, ' ').replace(/^./, function (c) { return c.toUpperCase(); });
}

export function clearFormErrors(form) {
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

export function showFieldError(form, name, msgs) {
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


/** Client-side "required" check so the user gets the same inline errors. */
export function checkRequired(form, box) {
  clearFormErrors(form);
  var first = null;
  Array.prototype.forEach.call(form.querySelectorAll('input[required]:not(:disabled)'), function (input) {
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

export function busy(button, on, busyText) {
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

export function values(form) {
  var out = {};
  Array.prototype.forEach.call(form.elements, function (input) {
    if (!input.name || input.type === 'submit' || input.type === 'button') return;
    out[input.name] = input.type === 'password' ? input.value : input.value.trim();
  });
  return out;
}

// setNotice shows text in a notice box (kind: info, success, or warn, the default look).
export function setNotice(node, kind, text) {
  node.classList.remove('is-info', 'is-success');
  if (kind && kind !== 'warn') node.classList.add('is-' + kind);
  node.textContent = text || '';
  node.hidden = !text;
}

// copyText puts text on the clipboard and says so in box; where the async
// clipboard is not available (not a secure context, or refused) it selects
// target (an input, or any element's text) for Ctrl+C instead. what names
// the thing copied, e.g. "API key".
export function copyText(text, target, box, what) {
  function select() {
    if (typeof target.select === 'function') {
      target.focus();
      target.select();
      return;
    }
    var range = document.createRange();
    range.selectNodeContents(target);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  function fallback() {
    select();
    var ok = false;
    try { ok = document.execCommand && document.execCommand('copy'); } catch (e) { ok = false; }
    if (ok) setMessage(box, 'success', what + ' copied to the clipboard.');
    else setMessage(box, 'info', what + ' selected: press Ctrl+C (⌘C on a Mac) to copy.');
  }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(function () {
      setMessage(box, 'success', what + ' copied to the clipboard.');
    }, fallback);
  } else {
    fallback();
  }
}

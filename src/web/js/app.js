import { session } from './api.js';
import { clear, field, h, pageHeading } from './dom.js';
import { accessPage } from './pages/access.js';
import { auditPage } from './pages/audit.js';
import { camerasPage } from './pages/cameras.js';
import { publicRecordsPage } from './pages/public-records.js';
import { retentionPage } from './pages/retention.js';
import { sensorsPage } from './pages/sensors.js';
import { uplinkPage } from './pages/uplink.js';

const PAGES = {
  cameras: { title: 'Cameras', render: camerasPage },
  retention: { title: 'Retention & holds', render: retentionPage },
  access: { title: 'Access requests', render: accessPage },
  'public-records': { title: 'Public records', render: publicRecordsPage },
  sensors: { title: 'Sensors', render: sensorsPage },
  audit: { title: 'Audit log', render: auditPage },
  uplink: { title: 'Uplink', render: uplinkPage },
};

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const announcer = document.getElementById('announcer');
/** Aborted when the page changes, so live previews and pending reads stop. */
let pageScope = new AbortController();

/** The first page for a role: what that person most likely came to do. */
function homeFor(roles) {
  if (roles.includes('operator') || roles.includes('admin')) return 'cameras';
  if (roles.includes('investigator') || roles.includes('approver')) return 'access';
  return roles.includes('auditor') ? 'audit' : 'cameras';
}

function loginPage(message) {
  const token = h('textarea', { name: 'token', rows: '5', required: true, autocomplete: 'off', spellcheck: 'false' });
  const form = h('form', { class: 'login', 'aria-label': 'Sign in' },
    field('Bearer token (JWT)', token, 'Mint one with: privacy-gateway token --sub NAME --role ROLE. It is kept in this browser tab only.'),
    h('button', { type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = token.value.trim().replace(/^Bearer\s+/i, '');
    if (value.split('.').length !== 3) {
      clear(status, h('p', { class: 'problem', role: 'alert' }, 'That is not a JWT (three dot-separated parts).'));
      return;
    }
    session.set(value);
    const target = `#/${homeFor(session.claims()?.roles ?? [])}`;
    if (window.location.hash === target) render();
    else window.location.hash = target;
  });
  const status = h('div', {}, message ? h('p', { class: 'problem', role: 'alert' }, message) : null);
  clear(main, pageHeading('Sign in', 'Paste a bearer token issued for you. What you can see and do follows the roles in it.'), status, form);
  token.focus();
}

function renderWho(claims) {
  if (!claims) {
    clear(who);
    return;
  }
  const signOut = h('button', { type: 'button', class: 'link-button' }, 'Sign out');
  signOut.addEventListener('click', () => {
    session.clear();
    // One render: a hash change renders by itself, later, and would wipe a token typed in the meantime.
    if (window.location.hash === '#/') render();
    else window.location.hash = '#/';
  });
  clear(who, h('span', { 'data-testid': 'who' }, `Signed in as ${claims.sub} (${claims.roles.join(', ') || 'no roles'})`), ' ', signOut);
}

function render() {
  pageScope.abort();
  pageScope = new AbortController();
  const claims = session.token() ? session.claims() : null;
  renderWho(claims);
  nav.hidden = !claims;
  if (!claims) {
    if (session.token()) session.clear();
    loginPage();
    return;
  }
  const requested = window.location.hash.replace(/^#\/?/, '').split('/')[0];
  const name = Object.hasOwn(PAGES, requested) ? requested : homeFor(claims.roles);
  const page = PAGES[name];
  for (const link of nav.querySelectorAll('a')) {
    if (link.getAttribute('href') === `#/${name}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${page.title} · privacy-gateway console`;
  clear(main);
  page.render(main, { claims, signal: pageScope.signal });
  main.querySelector('h1')?.focus();
  announcer.textContent = `${page.title} page`;
}

// The hash is the router's; the skip link moves focus without touching it.
document.querySelector('.skip-link').addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});
window.addEventListener('hashchange', render);
window.addEventListener('pgw:unauthorized', () => {
  session.clear();
  renderWho(null);
  nav.hidden = true;
  loginPage('The gateway refused the token (expired, revoked or not valid here). Sign in again.');
});
render();

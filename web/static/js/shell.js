// shell.js: what the portal and the console share: who is signed in, the
// sign-in screen, the header (with its menu button at phone width), the
// label table, and hash routing (#/path?query) to views.

import { me, signOut, ref } from './api.js';
import { h, render, loading, errorBox, announce } from './dom.js';
import { useLabels } from './labels.js';

const returnKey = 'careconnect-return-to';

/**
 * start runs a page. opts: loginPath (where the Sign in button goes), role
 * (the principal role the page is for), wrongRole (words for anyone else),
 * otherPage ({href, label}: where anyone else should go), landing
 * (reference => nodes shown under the sign-in button), nav ([{href,
 * label}]), routes ([{path: RegExp, view(main, ctx, ...groups)}]): a view
 * draws into its main (ctx.main), which is in the page only while its
 * navigation is the current one.
 */
export async function start(opts) {
  const main = document.getElementById('main');
  document.querySelectorAll('[data-skip]').forEach((a) => a.addEventListener('click', (e) => {
    e.preventDefault();
    main.focus();
  }));
  let who;
  let reference = {};
  try {
    [who, reference] = await Promise.all([me(), ref()]);
    useLabels(reference.labels);
  } catch (err) {
    render(main, h('h1', {}, 'CareConnect is unavailable'), errorBox(err),
      h('p', {}, 'Please try again in a few minutes.'));
    return;
  }
  if (!who) {
    signInScreen(main, opts, reference);
    return;
  }
  header(who, opts);
  const back = sessionStorage.getItem(returnKey);
  if (back) {
    sessionStorage.removeItem(returnKey);
    if (!location.hash || location.hash === '#/') history.replaceState(null, '', back);
  }
  if (who.principal.role !== opts.role) {
    render(main, h('h1', {}, 'Not for this account'),
      h('div', { class: 'box warn' }, h('p', {}, opts.wrongRole)),
      h('div', { class: 'actions' },
        opts.otherPage ? h('a', { class: 'button', href: opts.otherPage.href }, opts.otherPage.label) : null,
        h('button', { type: 'button', class: 'secondary', onclick: doSignOut }, 'Sign out')),
      contact(reference));
    return;
  }
  const ctx = { me: who, main, refreshMe: async () => { ctx.me = await me(); return ctx.me; } };
  // Each navigation draws into a container of its own, swapped into main,
  // and its view gets a ctx of its own whose main is that container. A view
  // still awaiting its data when the person moves on (or reloads) then
  // draws into a container no longer in the page, and cannot navigate or
  // reload: its late answer changes nothing the person sees.
  let current = null;
  const route = async () => {
    closeMenu();
    const raw = location.hash.slice(1);
    if (raw && !raw.startsWith('/')) return; // an in-page anchor, not a route
    const [path, query] = (raw || '/').split('?');
    ctx.query = new URLSearchParams(query || '');
    ctx.path = path;
    markNav(path);
    const view = h('div', { class: 'view' });
    current = view;
    const live = () => current === view;
    const vctx = Object.create(ctx); // me and refreshMe stay shared
    vctx.main = view;
    vctx.query = ctx.query;
    vctx.path = path;
    vctx.go = (hash) => { if (live()) ctx.go(hash); };
    vctx.reload = () => (live() ? route() : Promise.resolve());
    main.replaceChildren(view);
    for (const r of opts.routes) {
      const m = path.match(r.path);
      if (!m) continue;
      view.replaceChildren(loading());
      try {
        await r.view(view, vctx, ...m.slice(1).map(decodeURIComponent));
      } catch (err) {
        if (!live()) return;
        if (err && err.status === 401) {
          signInScreen(main, opts);
          return;
        }
        render(view, h('h1', {}, 'Something went wrong'), errorBox(err));
      }
      return;
    }
    render(view, h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: '#/' }, 'Go to the start page')));
  };
  ctx.go = (hash) => {
    if (location.hash === hash) route();
    else location.hash = hash;
  };
  ctx.reload = route;
  window.addEventListener('hashchange', route);
  await route();
}

/** contact is the enrolment team's contact line, for every page. */
export function contact(reference) {
  if (!reference || !reference.teamEmail) return null;
  return h('p', { class: 'contact' }, 'Questions? Email the CareConnect enrolment team at ',
    h('a', { href: `mailto:${reference.teamEmail}` }, reference.teamEmail), '.');
}

function signInScreen(main, opts, reference) {
  document.getElementById('nav').hidden = true;
  document.getElementById('who').replaceChildren();
  document.querySelector('.nav-toggle')?.remove();
  const go = () => {
    // The sign-in returns to the page, not to its screen: remember the screen.
    if (location.hash.length > 2) sessionStorage.setItem(returnKey, location.hash);
    location.href = opts.loginPath;
  };
  render(main, h('div', { class: opts.landing ? 'landing' : 'signin' },
    h('h1', {}, opts.signInTitle || 'Sign in'),
    h('p', { class: 'lead' }, opts.signInText),
    h('p', {}, h('button', { type: 'button', id: 'sign-in', onclick: go }, 'Sign in')),
    opts.landing ? opts.landing(reference) : null,
    contact(reference)));
}

async function doSignOut() {
  try {
    await signOut();
    location.hash = '';
    location.reload();
  } catch (err) {
    announce(err.message, 'bad');
  }
}

// The header: the brand, the navigation and who is signed in. At phone
// width (CSS) the navigation and the sign-out sit behind a menu button
// that says whether it is open (aria-expanded); choosing a page closes it.
function header(who, opts) {
  const p = who.principal;
  const name = who.account && who.account.preferredFirstName
    ? `${who.account.preferredFirstName} ${who.account.preferredLastName || p.familyName}`
    : `${p.givenName} ${p.familyName}`;
  const out = h('button', { type: 'button', class: 'small', id: 'sign-out', onclick: doSignOut }, 'Sign out');
  const whoBox = document.getElementById('who');
  whoBox.replaceChildren(h('span', {}, 'Signed in as ', h('strong', {}, name)), out);
  const nav = document.getElementById('nav');
  nav.replaceChildren(h('ul', {}, opts.nav.map((n) => h('li', {}, h('a', { href: n.href }, n.label)))));
  nav.hidden = false;
  if (!document.querySelector('.nav-toggle')) {
    const toggle = h('button', { type: 'button', class: 'nav-toggle small', id: 'menu', 'aria-expanded': 'false', 'aria-controls': 'nav who' }, 'Menu');
    toggle.addEventListener('click', () => setMenu(toggle.getAttribute('aria-expanded') !== 'true'));
    nav.before(toggle);
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && toggle.getAttribute('aria-expanded') === 'true') {
        setMenu(false);
        toggle.focus();
      }
    });
  }
  setMenu(false);
}

function setMenu(open) {
  const toggle = document.querySelector('.nav-toggle');
  if (!toggle) return;
  toggle.setAttribute('aria-expanded', String(open));
  document.getElementById('nav').classList.toggle('collapsed', !open);
  document.getElementById('who').classList.toggle('collapsed', !open);
}

const closeMenu = () => setMenu(false);

function markNav(path) {
  document.querySelectorAll('#nav a').forEach((a) => {
    const target = a.getAttribute('href').slice(1);
    const on = target === path || (target !== '/' && path.startsWith(`${target}/`));
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
}

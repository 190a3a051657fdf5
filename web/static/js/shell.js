// shell.js: what the portal and the console share: who is signed in, the
// sign-in screen, the header, and hash routing (#/path?query) to views.

import { me, signOut } from './api.js';
import { h, render, loading, errorBox, announce } from './dom.js';

const returnKey = 'careconnect-return-to';

/**
 * start runs a page. opts: loginPath (where the Sign in button goes), role
 * (the principal role the page is for), wrongRole (words for anyone else),
 * nav ([{href, label}]), routes ([{path: RegExp, view(main, ctx, ...groups)}]).
 */
export async function start(opts) {
  const main = document.getElementById('main');
  document.querySelectorAll('[data-skip]').forEach((a) => a.addEventListener('click', (e) => {
    e.preventDefault();
    main.focus();
  }));
  let who;
  try {
    who = await me();
  } catch (err) {
    render(main, h('h1', {}, 'CareConnect is unavailable'), errorBox(err));
    return;
  }
  if (!who) {
    signInScreen(main, opts);
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
      h('div', { class: 'box warn' }, h('p', {}, opts.wrongRole)));
    return;
  }
  const ctx = { me: who, main, refreshMe: async () => { ctx.me = await me(); return ctx.me; } };
  const route = async () => {
    const raw = location.hash.slice(1);
    if (raw && !raw.startsWith('/')) return; // an in-page anchor, not a route
    const [path, query] = (raw || '/').split('?');
    ctx.query = new URLSearchParams(query || '');
    ctx.path = path;
    markNav(path);
    for (const r of opts.routes) {
      const m = path.match(r.path);
      if (!m) continue;
      main.replaceChildren(loading());
      try {
        await r.view(main, ctx, ...m.slice(1).map(decodeURIComponent));
      } catch (err) {
        if (err && err.status === 401) {
          signInScreen(main, opts);
          return;
        }
        render(main, h('h1', {}, 'Something went wrong'), errorBox(err));
      }
      return;
    }
    render(main, h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: '#/' }, 'Go to the start page')));
  };
  ctx.go = (hash) => {
    if (location.hash === hash) route();
    else location.hash = hash;
  };
  ctx.reload = route;
  window.addEventListener('hashchange', route);
  await route();
}

function signInScreen(main, opts) {
  document.getElementById('nav').hidden = true;
  document.getElementById('who').replaceChildren();
  const go = () => {
    // The sign-in returns to the page, not to its screen: remember the screen.
    if (location.hash.length > 2) sessionStorage.setItem(returnKey, location.hash);
    location.href = opts.loginPath;
  };
  render(main, h('div', { class: 'signin' },
    h('h1', {}, opts.signInTitle || 'Sign in'),
    h('p', { class: 'lead' }, opts.signInText),
    h('p', {}, h('button', { type: 'button', id: 'sign-in', onclick: go }, 'Sign in'))));
}

function header(who, opts) {
  const p = who.principal;
  const name = who.account && who.account.preferredFirstName
    ? `${who.account.preferredFirstName} ${who.account.preferredLastName || p.familyName}`
    : `${p.givenName} ${p.familyName}`;
  const out = h('button', { type: 'button', class: 'small', id: 'sign-out', onclick: async () => {
    try {
      await signOut();
      location.hash = '';
      location.reload();
    } catch (err) {
      announce(err.message, 'bad');
    }
  } }, 'Sign out');
  document.getElementById('who').replaceChildren(h('span', {}, 'Signed in as ', h('strong', {}, name)), out);
  const nav = document.getElementById('nav');
  nav.replaceChildren(h('ul', {}, opts.nav.map((n) => h('li', {}, h('a', { href: n.href }, n.label)))));
  nav.hidden = false;
}

function markNav(path) {
  document.querySelectorAll('#nav a').forEach((a) => {
    const target = a.getAttribute('href').slice(1);
    const on = target === path || (target !== '/' && path.startsWith(`${target}/`));
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
}

// confirm-email.js: the page an email confirmation link opens
// (/confirm-email/{token}). The server verified the link's token before it
// rendered the page and passes it as data on <main>; it goes back to the
// API only as one encoded path segment, never into script source. Only the
// account's owner, signed in, can confirm: a visitor who is not signed in
// is sent to sign in and comes back here.

import { me, post, seg } from './api.js';

const main = document.querySelector('main[data-token]');
const button = document.getElementById('confirm');
const msg = document.getElementById('msg');

function show(text, bad) {
  msg.textContent = text;
  msg.className = bad ? 'box bad' : 'box ok';
}

if (main && button) {
  const token = main.dataset.token;
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const who = await me();
      if (!who) {
        window.location.assign(`/auth/login?returnTo=${encodeURIComponent(window.location.pathname)}`);
        return;
      }
      const r = await post(`/api/v1/email-confirmations/${seg(token)}`);
      show(r.outcome === 'already_confirmed'
        ? 'This email address was already confirmed. There is nothing more to do.'
        : 'Thank you: your email address is confirmed.');
      button.remove(); // the stylesheet shows buttons whatever their hidden attribute
      document.getElementById('next').hidden = false;
    } catch (err) {
      show(err.message, true);
      // Only a failure worth retrying leaves the button on.
      button.disabled = !(err.status === 0 || err.status >= 500 || err.status === 429);
    }
  });
}

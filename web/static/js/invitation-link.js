// invitation-link.js: the page an emailed invitation link opens
// (/invitations/<token>). The server verified the token before it rendered
// the page and hands it over as main's data-token; it goes into the request
// path only through encodeURIComponent, never into script source.

const token = document.getElementById('main').dataset.token;
const button = document.getElementById('accept');
const msg = document.getElementById('msg');
const noAnswer = { error: { message: 'The service did not answer; try again.' } };

function say(text, bad) {
  msg.textContent = text;
  msg.className = bad ? 'form-error' : '';
}

async function accept() {
  if (button.getAttribute('aria-busy') === 'true') return;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    const me = await fetch('/api/v1/me');
    if (me.status === 401) {
      // Sign in first; the sign-in comes back to this page.
      location.href = `/auth/login?returnTo=${encodeURIComponent(location.pathname)}`;
      return;
    }
    const who = await me.json().catch(() => noAnswer);
    if (!me.ok) {
      say(who.error.message, true);
      return;
    }
    const res = await fetch(`/api/v1/invitations/${encodeURIComponent(token)}/accept`, {
      method: 'POST', headers: { 'X-CSRF-Token': who.csrfToken || '' },
    });
    const body = await res.json().catch(() => noAnswer);
    say(res.ok ? body.message : body.error.message, !res.ok);
    if (res.ok) {
      button.removeAttribute('aria-busy');
      return; // accepted: nothing more to press
    }
  } catch {
    say(noAnswer.error.message, true);
  }
  button.disabled = false;
  button.removeAttribute('aria-busy');
}

button.addEventListener('click', accept);

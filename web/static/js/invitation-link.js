// invitation-link.js: the page an emailed invitation link opens
// (/invitations/<token>). The server verified the token before it rendered
// the page and hands it over as main's data-token; it goes into the request
// path only through encodeURIComponent, never into script source.
//
// A person without an HxBC account is sent to register it; the portal
// brings them back here afterwards (sessionStorage 'careconnect.returnTo',
// which the portal follows only to an invitation page's path).

const token = document.getElementById('main').dataset.token;
const button = document.getElementById('accept');
const msg = document.getElementById('msg');
const noAccount = document.getElementById('no-account');
const noAnswer = { error: { message: 'The service did not answer; try again.' } };
const returnKey = 'careconnect.returnTo';

function say(text, bad) {
  msg.textContent = text;
  msg.className = bad ? 'form-error' : '';
}

/** remember asks the portal to come back to this page after registering. */
function remember() {
  try {
    sessionStorage.setItem(returnKey, location.pathname);
  } catch {
    // Storage refused: the status page lists the invitation anyway.
  }
}

/** who is /api/v1/me's answer, or null when signed out. */
async function who() {
  const me = await fetch('/api/v1/me');
  if (me.status === 401) return null;
  const body = await me.json().catch(() => noAnswer);
  if (!me.ok) throw new Error(body.error.message);
  return body;
}

async function explain() {
  try {
    const me = await who();
    if (!me || !me.principal || me.principal.role !== 'applicant') return;
    if (!me.account) {
      noAccount.hidden = false;
      remember();
      return;
    }
    try {
      sessionStorage.removeItem(returnKey);
    } catch {
      // nothing to forget
    }
    if (!me.account.emailConfirmed) {
      say(`Confirm your email address first: open the link we emailed to ${me.account.email}, then accept here or from your status page.`, false);
    }
  } catch {
    // The button still works; it says what went wrong.
  }
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
    const body0 = await me.json().catch(() => noAnswer);
    if (!me.ok) {
      say(body0.error.message, true);
      return;
    }
    if (body0.principal && body0.principal.role === 'applicant' && !body0.account) {
      noAccount.hidden = false;
      remember();
      say('Register your HxBC account first, with the invited email address.', true);
      button.disabled = false;
      return;
    }
    const res = await fetch(`/api/v1/invitations/${encodeURIComponent(token)}/accept`, {
      method: 'POST', headers: { 'X-CSRF-Token': body0.csrfToken || '' },
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
explain();

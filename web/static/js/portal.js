// portal.js: the applicant and site administrator portal.
//
//   #/                         status: what is done, what is left, who must act and by when
//   #/account                  register (or edit) the HxBC account
//   #/password                 reset the HxBC account's password
//   #/worksites/new            register a worksite
//   #/worksites/join           find a worksite by address (as you type) or ID, and ask to join
//   #/apply?worksite=ID        apply for CareConnect access at a worksite
//   #/worksites/ID             a site administrator's page: members, join requests, invitations, details
//   #/worksites/ID/sponsorships  an authorizer's sponsorship requests

import { start } from './shell.js';
import { get, post, put, patch, ref, seg, q } from './api.js';
import {
  h, field, yesNo, radioValue, val, formError, submitting, announce, render, time, table, badge,
  ask, busy,
} from './dom.js';
import * as L from './labels.js';
import { typeFields } from './forms.js';

start({
  role: 'applicant',
  loginPath: '/auth/login?returnTo=/portal',
  signInTitle: 'Sign in to CareConnect enrolment',
  signInText: 'Sign in with your BC Services Card to register, join or register a worksite, apply for CareConnect access and see what is left to do.',
  wrongRole: 'You are signed in as a member of the enrolment team. The team works in the team console.',
  otherPage: { href: '/team', label: 'Go to the team console' },
  landing,
  nav: [
    { href: '#/', label: 'My status' },
    { href: '#/account', label: 'My account' },
    { href: '#/worksites/new', label: 'Register a worksite' },
    { href: '#/worksites/join', label: 'Join a worksite' },
    { href: '#/apply', label: 'Apply for access' },
  ],
  routes: [
    { path: /^\/$/, view: statusView },
    { path: /^\/account$/, view: accountView },
    { path: /^\/password$/, view: passwordView },
    { path: /^\/worksites\/new$/, view: registerWorksiteView },
    { path: /^\/worksites\/join$/, view: joinView },
    { path: /^\/apply$/, view: applyView },
    { path: /^\/worksites\/([A-Za-z0-9]{7})$/, view: manageView },
    { path: /^\/worksites\/([A-Za-z0-9]{7})\/sponsorships$/, view: sponsorshipsView },
  ],
});

// ---------------------------------------------------------------- landing

/**
 * landing orients a first-time visitor before they sign in: the steps of
 * enrolment and what each needs, how long the team takes, where the
 * CareConnect viewer itself is, and whom to ask.
 */
function landing(reference) {
  const step = (title, ...text) => h('li', {}, h('strong', {}, title), ...text.map((t) => h('p', {}, t)));
  return h('section', { 'aria-labelledby': 'steps-h' },
    h('h2', { id: 'steps-h' }, 'How enrolment works'),
    h('p', {}, 'CareConnect is the province-wide viewer of patients\' health records. To get access, you and your worksite enrol here in five steps. ',
      'You need a BC Services Card account with the BC Services Card app (a verified identity) to sign in.'),
    h('ol', { class: 'steps' },
      step('Register your account',
        'Sign in with your BC Services Card and register your HxBC account: your profession and its college ID, your email and phone, a username and a password. We email you a link to confirm your address.'),
      step('Join or register your worksite',
        'If your worksite is already registered, join it with the emailed invitation, or find it by address or by the worksite ID your site administrator gives you. ',
        'If it is not registered yet, register it: its name, address, contact details, type and EMR. A person with signing authority for the worksite (a clinical lead or office manager) then signs the Privacy & Security Declaration from an emailed link, with a screenshot of the worksite\'s antivirus, and the enrolment team reviews it.'),
      step('Take the course and sign the agreement',
        'Everyone completes the Privacy & Security course on LearningHub. Accredited professionals (for example physicians, nurse practitioners and nurses) also acknowledge the Health Practitioner CareConnect Access Agreement (HPCAA) there.'),
      step('Apply for access',
        'Apply at your worksite and answer a few questions about your work. On-behalf-of users (for example medical office assistants) also need an authorizer at the worksite (a physician, nurse practitioner or registered nurse) to sponsor them.'),
      step('Provisioning',
        `When everything is in, the enrolment team provisions your access and emails you a welcome package with how to open CareConnect. ${L.reviewWait()}`)),
    reference && reference.viewerUrl
      ? h('p', { class: 'box' }, 'Already have access? Open the ', h('a', { href: reference.viewerUrl, id: 'viewer-link' }, 'CareConnect viewer'),
        '. This portal is only for enrolment.')
      : null);
}

/** optional resolves with p's value, or fallback when the API says 404. */
async function optional(p, fallback) {
  try {
    return await p;
  } catch (err) {
    if (err.status === 404) return fallback;
    throw err;
  }
}

function professionOf(reference, code) {
  return (reference.professions || []).find((p) => p.code === code);
}

// ---------------------------------------------------------------- status

async function statusView(main, ctx) {
  const who = await ctx.refreshMe();
  const reference = await ref();
  const st = who.status || {};
  if (!who.account) {
    render(main,
      h('h1', {}, 'Your CareConnect enrolment'),
      h('p', { class: 'lead' }, `Welcome, ${who.principal.givenName}. Your identity is validated with the BC Services Card.`),
      h('div', { class: 'box' }, h('h2', {}, 'Next: register your HxBC account'),
        h('p', {}, 'You need an HxBC account before you can register or join a worksite and apply for access.'),
        h('p', {}, h('a', { class: 'button', href: '#/account' }, 'Register your account'))),
      doneList(st.timeline));
    return;
  }
  const [mine, apps, pending, attention] = await Promise.all([
    get('/api/v1/me/worksites'),
    optional(get('/api/v1/me/applications'), { applications: [] }),
    get('/api/v1/me/pending'),
    get('/api/v1/me/attention'),
  ]);
  const worksites = mine.worksites || [];
  const admin = worksites.filter((w) => w.admin && w.active);
  const adminStatus = await Promise.all(admin.map((w) => optional(get(`/api/v1/worksites/${seg(w.worksiteId)}`), null)));
  const prof = professionOf(reference, who.account.profession);
  const applications = apps.applications || [];

  const todo = [];
  // An address waiting for its link comes first, with a way to send it again.
  const awaiting = awaitingEmail(who.account);
  const emailAction = st.emailConfirmation && st.emailConfirmation.awaiting && st.state === 'account_registered';
  if (awaiting) {
    todo.push(emailTodo(awaiting, who.account, emailAction ? st : null));
  }
  if (st.waitingOn && st.nextAction && !(awaiting && emailAction)) {
    todo.push(personTodo(st, worksites));
  }
  adminStatus.filter(Boolean).forEach((ws) => {
    const s = ws.status;
    if (s.waitingOn) {
      todo.push(todoItem(`Worksite ${ws.worksite.name} (${ws.worksite.id})`, s.nextAction || L.worksiteState(s.state), s.waitingOn, s.waitingSince, s.nextMilestone));
    }
  });
  applications.forEach((a) => {
    if (renewable.includes(a.state)) {
      // Only an active member may apply: an inactive one waits on the site administrators.
      todo.push(activeAt(worksites, a.worksite.id)
        ? h('li', { class: 'todo' }, h('span', { class: 'what' }, `Access at ${a.worksite.name}: ${L.appState(a.state)}`),
          h('span', { class: 'who' }, 'Who must act: You. ', h('a', { href: `#/apply?worksite=${a.worksite.id}` }, 'Apply again'), '.'))
        : h('li', { class: 'todo' }, h('span', { class: 'what' }, `Access at ${a.worksite.name}: ${L.appState(a.state)}`),
          h('span', { class: 'who' }, 'Your membership at this worksite is inactive: a site administrator must reactivate it before you can apply again.'),
          h('span', { class: 'who' }, `Who must act: ${L.party('site_administrator')}`)));
      return;
    }
    if (!['waiting', 'ready_for_provisioning'].includes(a.state)) return;
    (a.requirements || []).filter((r) => !r.done).forEach((r) => {
      todo.push(todoItem(`Access at ${a.worksite.name}: ${L.requirement(r.key)}`, r.description, r.waitingOn, r.since, nextFor(a, r)));
    });
  });
  // While the email waits for confirmation, the status names that first;
  // a person with no worksite (and no invitation or request waiting) is
  // still shown the way to one.
  const waitingMembership = (pending.invitations || []).length || (pending.joinRequests || []).length;
  const lh = reference.learningHub;
  const learning = lh && applications.some((a) => ['waiting', 'ready_for_provisioning'].includes(a.state)
    && (a.requirements || []).some((r) => (r.key === 'course' || r.key === 'hpcaa') && !r.done));
  if (awaiting && emailAction && !worksites.some((w) => w.active) && !waitingMembership) {
    todo.push(h('li', { class: 'todo' }, h('span', { class: 'what' }, 'Register your worksite or join one'),
      h('span', { class: 'who' }, 'Who must act: You. ', h('a', { href: '#/worksites/new' }, 'Register a worksite'), ' or ', h('a', { href: '#/worksites/join' }, 'join a worksite'), '.')));
  }
  if (worksites.some((w) => w.active) && !applications.length && prof && prof.designated) {
    todo.push(h('li', { class: 'todo' }, h('span', { class: 'what' }, 'Apply for CareConnect access'),
      h('span', { class: 'who' }, 'Who must act: You. ', h('a', { href: '#/apply' }, 'Apply for access'), '.')));
  }

  render(main,
    h('h1', {}, 'Your CareConnect enrolment'),
    st.accessSuspended ? h('div', { class: 'box bad', role: 'note' }, h('p', {}, h('strong', {}, 'Your CareConnect access is suspended'),
      ` by the enrolment team since `, time(st.accessSuspended.at, false), `: ${st.accessSuspended.reason}`)) : null,
    h('dl', { class: 'facts' },
      h('dt', {}, 'Name'), h('dd', {}, `${st.legalFirstName || who.principal.givenName} ${st.legalLastName || who.principal.familyName}`),
      h('dt', {}, 'Username'), h('dd', {}, who.account.username),
      h('dt', {}, 'Email'), h('dd', { id: 'email-state' }, emailFacts(who.account)),
      h('dt', {}, 'Profession'), h('dd', {}, L.professionLabel(reference, who.account.profession)),
      h('dt', {}, 'Enrolment'), h('dd', {}, L.userState(st.state)),
      st.passwordExpiresAt ? [h('dt', {}, 'Password expires'), h('dd', {}, time(st.passwordExpiresAt, false))] : null,
      h('dt', {}, 'Privacy & Security course'), h('dd', {}, st.courseCompletedAt ? ['Completed ', time(st.courseCompletedAt, false)] : 'Not yet completed'),
      prof && prof.needsHpcaa ? [h('dt', {}, 'Access agreement (HPCAA)'), h('dd', {}, st.agreementAcknowledgedAt ? ['Acknowledged ', time(st.agreementAcknowledgedAt, false)] : 'Not yet acknowledged')] : null),
    attentionPanel(attention.items || [], worksites, prof),
    h('section', { 'aria-labelledby': 'left-h' },
      h('h2', { id: 'left-h' }, 'What is left'),
      learning ? learningHubGuidance(lh, who.account, prof) : null,
      todo.length ? h('ol', { class: 'timeline', id: 'todo' }, todo) : h('p', { class: 'box ok' }, 'Nothing is waiting. You are all set.')),
    pendingSection(pending, ctx),
    h('section', { 'aria-labelledby': 'apps-h' },
      h('h2', { id: 'apps-h' }, 'Your access applications'),
      applications.length ? h('div', { class: 'cards' }, applications.map((a) => applicationCard(a, ctx, activeAt(worksites, a.worksite.id)))) : h('p', { class: 'empty' }, 'You have not applied for access yet.')),
    h('section', { 'aria-labelledby': 'ws-h' },
      h('h2', { id: 'ws-h' }, 'Your worksites'),
      table('Your worksites', [
        { label: 'Worksite', cell: (w) => w.name },
        { label: 'ID', cell: (w) => w.worksiteId },
        { label: 'Address', cell: (w) => w.addressLine },
        { label: 'Worksite status', cell: (w) => L.worksiteState(w.state) },
        { label: 'Your membership', cell: (w) => [w.active ? badge('Active', 'ok') : badge('Inactive', 'bad'), ' ', w.admin ? badge('Site administrator') : null] },
        { label: 'Actions', cell: (w) => h('div', { class: 'actions' },
          w.admin && w.active ? h('a', { class: 'button small', href: `#/worksites/${w.worksiteId}` }, 'Manage') : null,
          w.active && prof && prof.canAuthorize ? h('a', { class: 'button small secondary', href: `#/worksites/${w.worksiteId}/sponsorships` }, 'Sponsorship requests') : null,
          w.active && !applications.some((a) => a.worksite.id === w.worksiteId) && prof && prof.designated
            ? h('a', { class: 'button small secondary', href: `#/apply?worksite=${w.worksiteId}` }, 'Apply for access') : null) },
      ], worksites, { empty: 'You do not belong to a worksite yet.', hideCaption: true })),
    doneList(st.timeline, adminStatus.filter(Boolean)));
}

// personTodo is the status's own next action (the account, or a person
// with no worksite yet), with the way forward the portal offers.
function personTodo(st, worksites) {
  const item = todoItem('Your account', st.nextAction, st.waitingOn, st.waitingSince, st.nextMilestone);
  let what = 'Your account';
  let links = null;
  if (st.state === 'password_expired') {
    what = 'Reset your password';
    links = h('a', { class: 'button small', href: '#/password' }, 'Reset your password');
  } else if (!worksites.some((w) => w.active) && st.waitingOn === 'site_administrator') {
    what = 'Your request to join a worksite';
  } else if (!worksites.some((w) => w.active) && /invitation/.test(st.nextAction)) {
    what = 'Accept your invitation';
    links = h('a', { href: '#pending-h' }, 'See your invitations');
  } else if (!worksites.some((w) => w.active) && st.waitingOn === 'applicant' && /worksite/.test(st.nextAction)) {
    what = 'Register your worksite or join one';
    links = [h('a', { href: '#/worksites/new' }, 'Register a worksite'), ' or ', h('a', { href: '#/worksites/join' }, 'join a worksite')];
  }
  item.id = 'todo-person';
  item.querySelector('.what').textContent = what;
  if (links) item.append(h('div', { class: 'actions' }, links));
  return item;
}

// ageText says how long a request has waited.
function ageText(days) {
  if (days <= 0) return 'today';
  return days === 1 ? '1 day' : `${days} days`;
}

const attentionLabels = {
  join_request: 'Join request', sponsorship_request: 'Sponsorship request', invitation: 'Invitation awaiting response',
};

// attentionPanel is the "Requests requiring your attention" panel of a
// site administrator or an authorizer: what waits on them (and the
// invitations awaiting others), each with its age and a link.
function attentionPanel(items, worksites, prof) {
  const admin = worksites.some((w) => w.admin && w.active);
  const authorizer = prof && prof.canAuthorize && worksites.some((w) => w.active);
  if (!items.length && !admin && !authorizer) return null;
  return h('section', { 'aria-labelledby': 'attention-h', id: 'attention', class: 'box' },
    h('h2', { id: 'attention-h' }, 'Requests requiring your attention'),
    items.length ? table('Requests requiring your attention', [
      { label: 'Request', cell: (it) => [attentionLabels[it.kind] || it.kind, it.overdue ? [' ', badge('Overdue', 'bad')] : null] },
      { label: 'From', cell: (it) => it.who },
      { label: 'Worksite', cell: (it) => `${it.worksiteName} (${it.worksiteId})` },
      { label: 'Waiting', cell: (it) => [ageText(it.ageDays), ' · since ', time(it.since, false)] },
      { label: 'Who must act', cell: (it) => L.party(it.waitingOn, it.kind === 'invitation' ? 'applicant' : '') },
      { label: 'Action', cell: (it) => h('a', { class: 'button small secondary', href: it.link }, it.kind === 'invitation' ? 'View or resend' : 'Answer') },
    ], items, { hideCaption: true }) : h('p', { class: 'empty' }, 'Nothing waits on you.'));
}

// pendingSection lists the person's invitations (accepted here) and the
// join requests they sent that still wait.
function pendingSection(pending, ctx) {
  const invitations = pending.invitations || [];
  const requests = pending.joinRequests || [];
  if (!invitations.length && !requests.length) return null;
  const accept = (inv) => h('button', { type: 'button', class: 'small', 'data-invitation': inv.id, onclick: async (e) => {
    e.target.disabled = true;
    try {
      await post(`/api/v1/me/invitations/${seg(inv.worksiteId)}/${seg(inv.id)}/accept`);
      announce(`You are now a member of ${inv.worksiteName}.`);
      ctx.reload();
    } catch (err) {
      announce(err.message, 'bad');
      e.target.disabled = false;
    }
  } }, 'Accept');
  return h('section', { 'aria-labelledby': 'pending-h', id: 'pending' },
    h('h2', { id: 'pending-h' }, 'Your invitations and requests'),
    invitations.length && !pending.emailConfirmed
      ? h('p', { class: 'box warn' }, 'Confirm your email address to accept an invitation: open the link we emailed to you.') : null,
    invitations.length ? table('Your invitations', [
      { label: 'Invitation to', cell: (i) => `${i.worksiteName} (${i.worksiteId})` },
      { label: 'Address', cell: (i) => i.addressLine },
      { label: 'Invited on', cell: (i) => time(i.at, false) },
      { label: 'Expires', cell: (i) => (i.expiresAt ? time(i.expiresAt, false) : '') },
      { label: 'Action', cell: (i) => (pending.emailConfirmed ? accept(i) : '') },
    ], invitations, {}) : null,
    requests.length ? table('Your requests to join', [
      { label: 'Worksite', cell: (r) => `${r.worksiteName} (${r.worksiteId})` },
      { label: 'Address', cell: (r) => r.addressLine },
      { label: 'Asked on', cell: (r) => time(r.at, false) },
      { label: 'Who must act', cell: (r) => [L.party('site_administrator'), r.overdue ? [' ', badge('Overdue', 'bad')] : null] },
    ], requests, {}) : null);
}

/**
 * learningHubGuidance names the LearningHub course, links to it and says
 * which address to use there: LearningHub's completion reaches the account
 * with the same email address.
 */
function learningHubGuidance(lh, account, prof) {
  return h('div', { class: 'box', id: 'learninghub-guidance' },
    h('p', {}, 'Complete the Privacy & Security course ', h('strong', {}, `“${lh.courseName}”`), ' on LearningHub',
      prof && prof.needsHpcaa ? ', and acknowledge the access agreement (HPCAA) there' : '', ': ',
      h('a', { href: lh.courseUrl, rel: 'noopener noreferrer', target: '_blank' }, lh.courseUrl), '.'),
    h('p', {}, 'Use the same email address on LearningHub as on your account, ', h('strong', {}, account.email),
      ': that is how your completion reaches this application.'));
}

/** awaitingEmail is the address the account waits to confirm, or ''. */
function awaitingEmail(a) {
  if (a.pendingEmail) return a.pendingEmail;
  return a.emailConfirmed ? '' : a.email;
}

/** emailFacts says which address is in force and whether it is confirmed. */
function emailFacts(a) {
  return [a.email, ' ', a.emailConfirmed ? badge('Confirmed', 'ok') : badge('Not confirmed yet', 'warn'),
    a.pendingEmail ? h('span', { class: 'muted small' }, ` (new address ${a.pendingEmail} waiting for confirmation)`) : null];
}

// emailTodo is the "confirm your email" item of the status page: what to
// do, and a button that sends the link again. st is the status when it
// shows the same wait (its since), else null (an account registered before
// addresses were confirmed, whose enrolment was never told).
function emailTodo(address, account, st) {
  const change = account.emailConfirmed;
  const resend = h('button', { type: 'button', class: 'small secondary', id: 'resend-email', onclick: async (e) => {
    e.target.disabled = true;
    try {
      const r = await post('/api/v1/me/email-confirmation');
      announce(`We sent a new link to ${r.sentTo}. Open it, signed in, to confirm the address.`);
    } catch (err) {
      announce(err.message, 'bad');
    }
    e.target.disabled = false;
  } }, 'Send the link again');
  return h('li', { class: 'todo', id: 'todo-email' },
    h('span', { class: 'what' }, change ? 'Confirm your new email address' : 'Confirm your email address'),
    h('span', { class: 'who' }, `We emailed a link to ${address}. Open it while signed in and confirm. `,
      change ? `Until then we keep using ${account.email}.`
        : 'Until then your Privacy & Security course, HPCAA and invitations do not reach your account.'),
    h('span', { class: 'who' }, `Who must act: ${L.party('applicant', 'applicant')}`,
      st && st.waitingSince && !st.waitingSince.startsWith('0001-') ? [' · waiting since ', time(st.waitingSince, false)] : null),
    h('div', { class: 'actions' }, resend));
}

function todoItem(what, detail, waitingOn, since, milestone) {
  return h('li', { class: 'todo' },
    h('span', { class: 'what' }, what),
    detail && detail !== what ? h('span', { class: 'who' }, detail) : null,
    h('span', { class: 'who' }, `Who must act: ${L.party(waitingOn, 'applicant')}`,
      since && !since.startsWith('0001-') ? [' · waiting since ', time(since, false)] : null,
      nextForApplicant(milestone)),
    waitingOn === 'enrolment_team' ? h('span', { class: 'who' }, L.reviewWait()) : null);
}

// nextForApplicant shows a wait's next reminder or deadline, unless it is
// the team's business (its service levels and flags: L.teamOnly).
function nextForApplicant(milestone) {
  if (!milestone || !milestone.at || L.teamOnly(milestone.kind)) return null;
  return [` · ${L.milestone(milestone.kind)} `, time(milestone.at, false)];
}

// doneList is what is done: the person's own events and, for the
// worksites they administer (worksites: [{worksite, status}]), each
// worksite's (registered, declaration signed, approved), newest first.
function doneList(timeline, worksites = []) {
  const events = (timeline || []).map((e) => ({ ...e, what: L.kind(e.kind) }));
  worksites.forEach((ws) => ((ws.status && ws.status.timeline) || []).forEach((e) => {
    events.push({ ...e, what: `${ws.worksite.name}: ${L.kind(e.kind)}` });
  }));
  events.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  return h('section', { 'aria-labelledby': 'done-h' },
    h('h2', { id: 'done-h' }, 'What is done'),
    events.length
      ? h('ol', { class: 'timeline', id: 'done' }, events.map((e) => h('li', { class: 'done' },
        h('span', { class: 'what' }, e.what), e.detail ? h('span', { class: 'who' }, e.detail) : null,
        h('span', { class: 'who' }, time(e.at)))))
      : h('p', { class: 'empty' }, 'Nothing recorded yet.'));
}

// timerRequirements says which requirements an application's next timer concerns.
const timerRequirements = {
  reminder: ['course', 'hpcaa'], lapse: ['course', 'hpcaa'], sponsor_reminder: ['sponsor'], escalate: ['team'], breach: ['team'],
};

// nextFor is the application's next reminder or deadline when it concerns requirement r.
function nextFor(a, r) {
  return a.next && (timerRequirements[a.next.kind] || []).includes(r.key) ? a.next : null;
}

// renewable are the application states a new application may replace (domain.Application.Renewable).
const renewable = ['sent_back', 'rejected', 'lapsed', 'ended'];

/** activeAt says whether the reader's membership at worksite id is active. */
function activeAt(worksites, id) {
  return worksites.some((w) => w.worksiteId === id && w.active);
}

function applicationCard(a, ctx, member) {
  const kind = { provisioned: 'ok', ready_for_provisioning: 'info', waiting: 'warn' }[a.state] || 'bad';
  const needsSponsorRequest = a.requirements.some((r) => r.key === 'sponsor' && !r.done && r.waitingOn === 'applicant');
  const again = renewable.includes(a.state) && member;
  return h('article', { class: 'card', 'data-worksite': a.worksite.id },
    h('h3', {}, `${a.worksite.name} (${a.worksite.id})`),
    h('p', {}, badge(L.appState(a.state), kind), ' Submitted ', time(a.submittedAt, false)),
    a.reason ? h('p', { class: 'box warn' }, `Reason from the enrolment team: ${a.reason}`) : null,
    a.businessRole ? h('p', {}, `Business role: ${a.businessRole.roleContext} — ${a.businessRole.functionalDescription}`) : null,
    a.sponsorship ? h('p', {}, `Sponsored by ${a.sponsorship.sponsorName}`) : null,
    h('ol', { class: 'timeline' }, a.requirements.map((r) => h('li', { class: r.done ? 'done' : 'todo' },
      h('span', { class: 'what' }, `${L.requirement(r.key)}${r.done ? ' — done' : ''}`),
      !r.done ? h('span', { class: 'who' }, r.description) : null,
      h('span', { class: 'who' }, r.done ? ['Since ', time(r.since, false)] : [`Who must act: ${L.party(r.waitingOn, 'applicant')} · since `, time(r.since, false),
        nextForApplicant(nextFor(a, r))])))),
    a.next && a.next.kind.startsWith('residency') ? h('p', {}, `${L.milestone(a.next.kind)}: `, time(a.next.at, false)) : null,
    a.state === 'ready_for_provisioning' && a.readySince
      ? h('p', { class: 'small muted' }, `Everything is in since `, time(a.readySince, false), `. ${L.reviewWait()}`) : null,
    needsSponsorRequest ? h('div', { class: 'actions' }, h('button', { type: 'button', onclick: async (e) => {
      e.target.disabled = true;
      try {
        await post(`/api/v1/me/applications/${seg(a.worksite.id)}/sponsorship-request`);
        announce('Sponsorship requested. The authorizers at the worksite have been emailed.');
        ctx.reload();
      } catch (err) {
        announce(err.message, 'bad');
        e.target.disabled = false;
      }
    } }, 'Request sponsorship')) : null,
    again ? h('div', { class: 'actions' }, h('a', { class: 'button secondary', href: `#/apply?worksite=${a.worksite.id}` }, 'Apply again')) : null);
}

// ---------------------------------------------------------------- account

async function accountView(main, ctx) {
  const who = await ctx.refreshMe();
  const reference = await ref();
  if (who.account) {
    editAccount(main, ctx, who, reference);
    return;
  }
  const professions = (reference.professions || []).filter((p) => p.selectable);
  const idsBox = h('div', { id: 'profession-ids' });
  const residentBox = h('div', { id: 'resident-box' });
  const form = h('form', { class: 'stack', novalidate: true, id: 'account-form' },
    h('p', {}, 'Legal name (from your BC Services Card): ', h('strong', {}, `${who.principal.givenName} ${who.principal.familyName}`)),
    h('div', { class: 'grid2' },
      field({ name: 'preferredFirstName', label: 'Preferred first name', autocomplete: 'given-name' }),
      field({ name: 'preferredLastName', label: 'Preferred last name', autocomplete: 'family-name' })),
    field({ name: 'profession', label: 'Profession', type: 'select', required: true, placeholder: 'Choose your profession',
      options: professions.map((p) => ({ value: p.code, label: p.label })) }),
    residentBox, idsBox,
    h('div', { class: 'grid2' },
      field({ name: 'email', label: 'Email', type: 'email', required: true, autocomplete: 'email', value: who.principal.email || '' }),
      field({ name: 'phone', label: 'Phone', type: 'tel', required: true, autocomplete: 'tel', hint: 'For example 604-555-0100' })),
    field({ name: 'mobile', label: 'Mobile phone (optional)', type: 'tel', autocomplete: 'tel' }),
    yesNo({ name: 'hasHealthAuthorityNetworkAccount', label: 'Do you have a health authority network account?', required: true }),
    h('div', { class: 'grid2' },
      field({ name: 'username', label: 'Username', required: true, autocomplete: 'username', hint: '3 to 32 letters, digits, dots, dashes or underscores' }),
      field({ name: 'confirmUsername', label: 'Confirm username', required: true, autocomplete: 'off', hint: 'Type the username again' })),
    h('div', { class: 'grid2' },
      field({ name: 'password', label: 'Password', type: 'password', required: true, autocomplete: 'new-password',
        hint: 'At least 6 characters, with at least three of: uppercase, lowercase, digits, symbols' }),
      field({ name: 'confirmPassword', label: 'Confirm password', type: 'password', required: true, autocomplete: 'new-password', hint: 'Type the password again' })),
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Register account')));
  const sel = form.querySelector('[name=profession]');
  const onProfession = () => {
    const p = professionOf(reference, sel.value);
    residentBox.replaceChildren(sel.value === 'physician'
      ? yesNo({ name: 'isResident', label: 'Are you currently a medical resident?', required: true }) : '');
    idsBox.replaceChildren(...((p && p.ids) || []).map((f) => field({ name: `professionIds.${f.key}`, label: f.label, required: true, hint: `For example ${f.example}` })));
  };
  sel.addEventListener('change', onProfession);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const p = professionOf(reference, val(form, 'profession'));
    const body = {
      preferredFirstName: val(form, 'preferredFirstName') || undefined,
      preferredLastName: val(form, 'preferredLastName') || undefined,
      profession: val(form, 'profession'),
      email: val(form, 'email'),
      phone: val(form, 'phone'),
      mobile: val(form, 'mobile') || undefined,
      hasHealthAuthorityNetworkAccount: radioValue(form, 'hasHealthAuthorityNetworkAccount') ?? false,
      username: val(form, 'username'),
      password: form.querySelector('[name=password]').value,
    };
    if (p && p.ids && p.ids.length) {
      body.professionIds = Object.fromEntries(p.ids.map((f) => [f.key, val(form, `professionIds.${f.key}`)]));
    }
    if (body.profession === 'physician') body.isResident = radioValue(form, 'isResident');
    const out = await submitting(form, () => {
      // Typed twice (DOMAIN): the portal checks the copies before anything is sent.
      const fields = {};
      if (val(form, 'confirmUsername').toLowerCase() !== body.username.toLowerCase()) fields.confirmUsername = 'does not match the username';
      if (form.querySelector('[name=confirmPassword]').value !== body.password) fields.confirmPassword = 'does not match the password';
      if (Object.keys(fields).length) {
        return Promise.reject(Object.assign(new Error('The username or password typed twice does not match.'), { status: 400, fields }));
      }
      return post('/api/v1/me/account', body);
    });
    if (out) {
      announce('Your HxBC account is registered.');
      if (!returnToInvitation()) ctx.go('#/');
    }
  });
  render(main, h('h1', {}, 'Register your HxBC account'),
    h('p', {}, 'Fields marked * are required.'), form);
}

// returnToInvitation goes back to the invitation page that sent the
// person to register (invitation-link.js stored its path), if one did; it
// follows only an invitation page's path on this site.
function returnToInvitation() {
  let path = null;
  try {
    path = sessionStorage.getItem('careconnect.returnTo');
    sessionStorage.removeItem('careconnect.returnTo');
  } catch {
    return false;
  }
  if (!path || !/^\/invitations\/[A-Za-z0-9._~-]+$/.test(path)) return false;
  location.assign(path);
  return true;
}

// ---------------------------------------------------------------- password

async function passwordView(main, ctx) {
  const who = await ctx.refreshMe();
  if (!who.account) {
    render(main, h('h1', {}, 'Reset your password'), h('p', { class: 'box warn' }, 'Register your HxBC account first. ', h('a', { href: '#/account' }, 'Register your account')));
    return;
  }
  const st = who.status || {};
  const form = h('form', { class: 'stack', novalidate: true, id: 'password-form' },
    h('p', {}, 'You signed in with your BC Services Card, which proves who you are: choose a new password for ', h('strong', {}, who.account.username), '.'),
    field({ name: 'password', label: 'New password', type: 'password', required: true, autocomplete: 'new-password',
      hint: 'At least 6 characters, with at least three of: uppercase, lowercase, digits, symbols' }),
    field({ name: 'confirmPassword', label: 'Confirm the new password', type: 'password', required: true, autocomplete: 'new-password' }),
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Reset password'),
      h('a', { class: 'button secondary', href: '#/' }, 'Back to my status')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const password = form.querySelector('[name=password]').value;
    const confirm = form.querySelector('[name=confirmPassword]').value;
    const out = await submitting(form, async () => {
      if (password !== confirm) {
        const err = new Error('The two passwords differ.');
        err.status = 400;
        err.fields = { confirmPassword: 'must be the same as the new password' };
        throw err;
      }
      return post('/api/v1/me/password', { password });
    });
    if (out) {
      announce('Your password is reset.');
      ctx.go('#/');
    }
  });
  render(main, h('h1', {}, 'Reset your password'),
    st.state === 'password_expired' ? h('p', { class: 'box warn', id: 'password-expired' }, 'Your password has expired. Reset it to keep using your HxBC account.') : null,
    st.passwordExpiresAt && st.state !== 'password_expired' ? h('p', {}, 'Your password expires ', time(st.passwordExpiresAt, false), '.') : null,
    form);
}

function editAccount(main, ctx, who, reference) {
  const a = who.account;
  const form = h('form', { class: 'stack', novalidate: true, id: 'account-edit' },
    h('div', { class: 'grid2' },
      field({ name: 'preferredFirstName', label: 'Preferred first name', value: a.preferredFirstName || '', autocomplete: 'given-name' }),
      field({ name: 'preferredLastName', label: 'Preferred last name', value: a.preferredLastName || '', autocomplete: 'family-name' })),
    field({ name: 'email', label: 'Email', type: 'email', value: a.email, autocomplete: 'email' }),
    h('div', { class: 'grid2' },
      field({ name: 'phone', label: 'Phone', type: 'tel', value: a.phone, autocomplete: 'tel' }),
      field({ name: 'mobile', label: 'Mobile phone (empty to remove)', type: 'tel', value: a.mobile || '', autocomplete: 'tel' })),
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save changes')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {};
    for (const k of ['preferredFirstName', 'preferredLastName', 'email', 'phone', 'mobile']) {
      if (val(form, k) !== (a[k] || '')) body[k] = val(form, k);
    }
    if (!Object.keys(body).length) {
      announce('Nothing changed.');
      return;
    }
    const out = await submitting(form, () => patch('/api/v1/me/account', body));
    if (out) {
      const pending = awaitingEmail(out.account);
      announce(body.email !== undefined && pending
        ? `Your account is updated. We sent a link to ${pending}: open it to confirm the address.`
        : 'Your account is updated.');
      ctx.reload();
    }
  });
  render(main, h('h1', {}, 'Your HxBC account'),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Legal name'), h('dd', {}, `${a.legalFirstName} ${a.legalLastName}`),
      h('dt', {}, 'Username'), h('dd', {}, a.username),
      h('dt', {}, 'Profession'), h('dd', {}, L.professionLabel(reference, a.profession), ' ', h('span', { class: 'muted small' }, '(only the enrolment team can change it)')),
      Object.entries(a.professionIds || {}).map(([k, v]) => [h('dt', {}, (((professionOf(reference, a.profession) || {}).ids || []).find((f) => f.key === k) || { label: k }).label), h('dd', {}, v)]),
      h('dt', {}, 'Registered'), h('dd', {}, time(a.createdAt, false)),
      h('dt', {}, 'Password'), h('dd', {}, h('a', { href: '#/password', id: 'reset-password' }, 'Reset your password'))),
    a.pendingEmail ? h('p', { class: 'box warn', id: 'pending-email' }, `Your new email address ${a.pendingEmail} is waiting for confirmation: `
      + `open the link we sent to it. Until then we keep using ${a.email}. To keep ${a.email}, enter it again below.`) : null,
    h('h2', {}, 'Preferred names and contact details'), form);
}

// ---------------------------------------------------------------- register a worksite

function addressFields(prefix, addr = {}) {
  return [
    h('div', { class: 'grid3' },
      field({ name: `${prefix}unit`, label: 'Unit (optional)', value: addr.unit || '' }),
      field({ name: `${prefix}streetName`, label: 'Street name', required: true, value: addr.streetName || '', autocomplete: 'address-line1' }),
      field({ name: `${prefix}streetNumber`, label: 'Street number', required: true, value: addr.streetNumber || '' })),
    h('div', { class: 'grid3' },
      field({ name: `${prefix}city`, label: 'City', required: true, value: addr.city || '', autocomplete: 'address-level2' }),
      field({ name: `${prefix}province`, label: 'Province', required: true, value: addr.province || 'BC', hint: 'British Columbia only' }),
      field({ name: `${prefix}postalCode`, label: 'Postal code', required: true, value: addr.postalCode || '', autocomplete: 'postal-code', hint: 'For example V5T 4G5' })),
  ];
}

function readAddress(form, prefix) {
  const a = {};
  for (const k of ['unit', 'streetNumber', 'streetName', 'city', 'province', 'postalCode']) a[k] = val(form, `${prefix}${k}`);
  if (!a.unit) delete a.unit;
  return a;
}

/**
 * addressFromSearch reads what a person typed in the address search
 * ("101-370 Broadway E, Vancouver") as address fields, so that registering
 * a worksite search did not find starts from it. It only fills form values.
 */
function addressFromSearch(text) {
  const a = {};
  const [street, city] = String(text || '').slice(0, 200).split(',').map((x) => x.trim());
  const m = /^(?:#?([A-Za-z0-9]{1,8})\s*-\s*)?(\d+[A-Za-z]?)\s+(.+)$/.exec(street || '');
  if (m) {
    if (m[1]) a.unit = m[1];
    a.streetNumber = m[2];
    a.streetName = m[3];
  } else if (street) {
    a.streetName = street;
  }
  if (city) a.city = city;
  return a;
}

async function registerWorksiteView(main, ctx) {
  const reference = await ref();
  if (!ctx.me.account) {
    render(main, h('h1', {}, 'Register a worksite'), h('p', { class: 'box warn' }, 'Register your HxBC account first. ', h('a', { href: '#/account' }, 'Register your account')));
    return;
  }
  const form = h('form', { class: 'stack', novalidate: true, id: 'worksite-form' },
    h('fieldset', {}, h('legend', {}, 'Worksite contact'),
      field({ name: 'name', label: 'Worksite name', required: true, autocomplete: 'organization' }),
      field({ name: 'contactName', label: 'Contact name (optional)', autocomplete: 'name', hint: 'The person the enrolment team should ask about this worksite' }),
      h('div', { class: 'grid-contact' },
        field({ name: 'phone', label: 'Phone', type: 'tel', required: true }),
        field({ name: 'extension', label: 'Extension (optional)' }),
        field({ name: 'email', label: 'Worksite email', type: 'email', required: true }))),
    h('fieldset', {}, h('legend', {}, 'Address'), h('div', { 'data-error-for': 'address', class: 'field-error' }),
      addressFields('address.', addressFromSearch(ctx.query.get('address')))),
    h('fieldset', {}, h('legend', {}, 'Type and EMR'),
      typeFields(reference),
      field({ name: 'emr', label: 'EMR vendor', type: 'select', required: true, placeholder: 'Choose the EMR',
        options: reference.emrVendors.map((v) => ({ value: v.name, label: v.name })) })),
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Register worksite')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      name: val(form, 'name'), phone: val(form, 'phone'), email: val(form, 'email'),
      address: readAddress(form, 'address.'), locationType: val(form, 'locationType'), emr: val(form, 'emr'),
    };
    if (val(form, 'extension')) body.extension = val(form, 'extension');
    if (val(form, 'contactName')) body.contactName = val(form, 'contactName');
    if (val(form, 'subOption')) body.subOption = val(form, 'subOption');
    if (val(form, 'otherDescription')) body.otherDescription = val(form, 'otherDescription');
    const out = await submitting(form, () => post('/api/v1/worksites', body));
    if (!out) return;
    const w = out.worksite;
    render(main, h('h1', {}, 'Worksite registered'),
      h('div', { class: 'box ok', id: 'registered' },
        h('p', {}, `${w.name} is registered with worksite ID `, h('strong', { id: 'worksite-id' }, w.id), '.'),
        h('p', {}, 'We emailed you the worksite ID and a link to the Privacy & Security Declaration. Forward the link to the person with signing authority (the clinical lead or office manager). Nobody at the worksite gets access until the declaration is signed and the enrolment team approves the worksite.')),
      w.accessNote ? h('p', { class: 'box warn' }, w.accessNote) : null,
      h('div', { class: 'actions' },
        h('a', { class: 'button', href: `#/worksites/${w.id}` }, 'Manage the worksite'),
        h('a', { class: 'button secondary', href: `#/apply?worksite=${w.id}` }, 'Apply for access here'),
        h('a', { class: 'button secondary', href: '#/' }, 'Back to my status')));
  });
  render(main, h('h1', {}, 'Register a worksite'),
    h('p', {}, 'You become the worksite\'s first site administrator. Fields marked * are required.'), form);
}

// ---------------------------------------------------------------- join a worksite

async function joinView(main, ctx) {
  if (!ctx.me.account) {
    render(main, h('h1', {}, 'Join a worksite'), h('p', { class: 'box warn' }, 'Register your HxBC account first. ', h('a', { href: '#/account' }, 'Register your account')));
    return;
  }
  const results = h('ul', { class: 'results', id: 'search-results', 'aria-label': 'Worksites found' });
  const count = h('p', { class: 'small muted', role: 'status', id: 'search-count' });
  const chosen = h('div', { id: 'join-chosen' });
  const noMatch = h('p', { id: 'search-register', hidden: true },
    'Not listed? If nobody has registered your worksite yet, ', h('a', { href: '#/worksites/new', id: 'register-from-search' }, 'register it'),
    ' and you become its site administrator.');
  const search = field({ name: 'address', label: 'Search by street address', type: 'search', hint: 'Start typing the address, e.g. 370 Broadway, 101-370 Broadway E or Broadway E, Vancouver; results appear as you type',
    attrs: { 'aria-controls': 'search-results', autocomplete: 'off' } });
  const input = search.querySelector('input');
  let timer = null;
  let seq = 0;
  const runSearch = async () => {
    const text = input.value.trim();
    const mine = ++seq;
    noMatch.hidden = true;
    if (text.replace(/[.,#' ]/g, '').length < 3) {
      results.replaceChildren();
      count.textContent = text ? 'Type at least 3 characters.' : '';
      return;
    }
    try {
      const out = await get(`/api/v1/worksites/search${q({ address: text, limit: 10 })}`);
      if (mine !== seq) return; // a newer search is on its way
      const hits = out.worksites || [];
      count.textContent = hits.length ? `${hits.length} worksite${hits.length === 1 ? '' : 's'} found.` : 'No worksite found at that address.';
      noMatch.hidden = hits.length > 0;
      noMatch.querySelector('a').setAttribute('href', `#/worksites/new${q({ address: text })}`);
      results.replaceChildren(...hits.map((w) => h('li', {},
        h('span', {}, h('strong', {}, w.name), ` — ${w.addressLine} (ID ${w.id})`),
        h('button', { type: 'button', class: 'small', 'aria-label': `Ask to join ${w.name}, ${w.addressLine}`, onclick: () => choose(w.id, `${w.name}, ${w.addressLine}`) }, 'Ask to join'))));
    } catch (err) {
      count.textContent = err.fields && err.fields.address ? `Address ${err.fields.address}` : err.message;
    }
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(runSearch, 250);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      clearTimeout(timer);
      runSearch();
    }
  });

  const byId = h('form', { class: 'stack', novalidate: true, id: 'by-id' },
    field({ name: 'worksiteId', label: 'Worksite ID', hint: '7 letters and digits, e.g. K4T6CLP', attrs: { maxlength: 7 } }),
    formError(),
    h('button', { type: 'submit', class: 'secondary' }, 'Use this worksite ID'));
  byId.addEventListener('submit', async (e) => {
    e.preventDefault();
    const id = val(byId, 'worksiteId').toUpperCase();
    const refuse = (msg) => {
      byId.querySelector('[data-error-for=worksiteId]').textContent = msg;
      byId.querySelector('input').setAttribute('aria-invalid', 'true');
      byId.querySelector('input').focus();
    };
    if (!/^[A-Z0-9]{7}$/.test(id)) {
      refuse('A worksite ID is 7 letters and digits.');
      return;
    }
    // Show the worksite's name and address before anything is sent.
    chosen.replaceChildren();
    const out = await submitting(byId, () => get(`/api/v1/worksites/${seg(id)}/preview`).catch((err) => {
      if (err.status === 404) return { unknown: err.message };
      throw err;
    }));
    if (!out) return;
    if (out.unknown) {
      refuse(out.unknown);
      return;
    }
    choose(out.worksite.id, `${out.worksite.name}, ${out.worksite.addressLine}`, `ID ${out.worksite.id}`);
  });

  function choose(id, label, note) {
    const form = h('form', { class: 'stack box', novalidate: true, id: 'join-form' },
      h('h2', { tabindex: '-1' }, `Ask to join ${label}`),
      note ? h('p', { class: 'small muted' }, `${note}. Check this is your worksite before you send the request.`) : null,
      field({ name: 'comment', label: 'Message to the worksite\'s administrators (optional)', type: 'textarea', hint: 'For example your role at the clinic' }),
      formError(),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Send join request')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const out = await submitting(form, () => post(`/api/v1/worksites/${seg(id)}/join-requests`, { comment: val(form, 'comment') }));
      if (out) {
        chosen.replaceChildren(h('div', { class: 'box ok', role: 'status', id: 'join-sent' },
          h('p', {}, `Your request to join ${label} was sent. The worksite's administrators have been emailed, and so have you (a confirmation); you will be emailed their answer.`),
          h('p', {}, h('a', { href: '#/' }, 'Back to my status'))));
        chosen.querySelector('.box').focus?.();
      }
    });
    chosen.replaceChildren(form);
    form.querySelector('h2').focus();
  }

  render(main, h('h1', {}, 'Join a worksite'),
    h('p', {}, 'Find your worksite by its address, or enter its worksite ID. Its site administrators approve your request.'),
    h('section', { class: 'stack' }, search, count, results, noMatch),
    h('h2', {}, 'Or by worksite ID'), byId, chosen);
}

// ---------------------------------------------------------------- apply

async function applyView(main, ctx) {
  const reference = await ref();
  const who = ctx.me;
  if (!who.account) {
    render(main, h('h1', {}, 'Apply for CareConnect access'), h('p', { class: 'box warn' }, 'Register your HxBC account first. ', h('a', { href: '#/account' }, 'Register your account')));
    return;
  }
  const prof = professionOf(reference, who.account.profession);
  const mine = await get('/api/v1/me/worksites');
  const active = (mine.worksites || []).filter((w) => w.active);
  if (!active.length) {
    render(main, h('h1', {}, 'Apply for CareConnect access'),
      h('p', { class: 'box warn' }, 'You must belong to a worksite to apply. ', h('a', { href: '#/worksites/join' }, 'Join a worksite'), ' or ', h('a', { href: '#/worksites/new' }, 'register one'), '. ',
        'If an administrator has just approved your request, reload this page in a moment.'));
    return;
  }
  const pre = (ctx.query.get('worksite') || '').toUpperCase();
  const form = h('form', { class: 'stack', novalidate: true, id: 'apply-form' },
    field({ name: 'worksiteId', label: 'Worksite', type: 'select', required: true, value: pre || (active.length === 1 ? active[0].worksiteId : ''),
      placeholder: 'Choose the worksite', options: active.map((w) => ({ value: w.worksiteId, label: `${w.name} — ${w.addressLine} (${w.worksiteId})` })) }),
    h('h2', {}, 'Questionnaire'),
    (reference.questions || []).map((qu) => yesNo({ name: `answers.${qu.id}`, label: qu.text, required: true })),
    prof && !prof.designated ? h('p', { class: 'box warn' }, `${prof.label} is not yet a designated profession: an application will be refused until it is.`) : null,
    prof && prof.needsSponsor ? h('p', { class: 'box' }, 'As an on-behalf-of user you will also need an authorizer at the worksite to sponsor you; you can request the sponsorship from your status page once you have applied.') : null,
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Submit application')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const answers = {};
    for (const qu of reference.questions || []) {
      const v = radioValue(form, `answers.${qu.id}`);
      if (v !== undefined) answers[qu.id] = v;
    }
    const out = await submitting(form, () => post('/api/v1/me/applications', { worksiteId: val(form, 'worksiteId'), answers }));
    if (out) {
      announce('Application submitted. Your status page shows what is left.');
      ctx.go('#/');
    }
  });
  render(main, h('h1', {}, 'Apply for CareConnect access'),
    h('p', {}, 'Access is per worksite. After you apply, complete the Privacy & Security course on LearningHub',
      prof && prof.needsHpcaa ? ' and acknowledge the access agreement (HPCAA)' : '', '; the enrolment team then provisions your access.'),
    form);
}

// ---------------------------------------------------------------- manage a worksite (site administrator)

async function manageView(main, ctx, id) {
  const reference = await ref();
  const [ws, members] = await Promise.all([get(`/api/v1/worksites/${seg(id)}`), get(`/api/v1/worksites/${seg(id)}/members`)]);
  const w = ws.worksite;
  const s = ws.status;
  const me = ctx.me.principal.subject;
  const base = `/api/v1/worksites/${seg(w.id)}`;

  // act runs a member action and redraws the page with the answer.
  const act = async (button, path, body, done) => {
    if (button.getAttribute('aria-busy') === 'true') return;
    const idle = busy(button);
    try {
      await post(path, body);
      announce(done);
      await ctx.reload();
    } catch (err) {
      announce(err.message, 'bad');
      idle();
    }
  };
  const withReason = (title, submit, required, path, done) => ask({
    title, submit,
    fields: [field({ name: 'reason', label: required ? 'Reason (required; it is emailed)' : 'Reason (optional; it is emailed)', type: 'textarea', required })],
    onSubmit: async (form) => {
      const reason = val(form, 'reason');
      await post(path, reason || required ? { reason } : undefined);
      return true;
    },
  }).then((ok) => {
    if (ok) {
      announce(done);
      ctx.reload();
    }
  });

  // confirmPromote asks before making m a site administrator: they could
  // then manage every member, and only another administrator can undo it.
  const confirmPromote = (m, from) => ask({
    title: `Make ${m.name} a site administrator?`, submit: 'Promote to administrator',
    fields: [h('p', {}, `${m.name} will be able to approve join requests, invite, promote and deactivate members, and edit the worksite's details. Only another site administrator can remove the role.`)],
    onSubmit: async () => {
      await post(`${base}/members/${seg(m.subject)}/promote`);
      return true;
    },
  }).then((ok) => {
    if (ok) {
      announce(`${m.name} is now a site administrator.`);
      ctx.reload();
    } else if (from) {
      from.focus();
    }
  });

  const memberTable = (caption, list, active) => table(caption, [
    { label: 'Name', cell: (m) => m.name },
    { label: 'Email', cell: (m) => m.email },
    { label: 'Profession', cell: (m) => L.professionLabel(reference, m.profession) },
    { label: 'Role', cell: (m) => (m.admin ? badge('Site administrator') : '') },
    { label: active ? 'Member since' : 'Inactive since', cell: (m) => [time(active ? m.since : m.inactiveSince || m.since, false),
      m.endsAt ? [' (until ', time(m.endsAt, false), ')'] : null, m.inactiveReason ? ` — ${m.inactiveReason}` : null] },
    { label: 'Actions', cell: (m) => h('div', { class: 'actions' },
      active && !m.admin ? h('button', { type: 'button', class: 'small secondary', 'aria-label': `Promote ${m.name} to site administrator`,
        onclick: (e) => confirmPromote(m, e.currentTarget) }, 'Promote') : null,
      active && m.admin && m.subject !== me ? h('button', { type: 'button', class: 'small secondary', 'aria-label': `Demote ${m.name} (remove the administrator role)`,
        onclick: (e) => act(e.target, `${base}/members/${seg(m.subject)}/demote`, undefined, `${m.name} is no longer a site administrator.`) }, 'Demote') : null,
      active ? h('button', { type: 'button', class: 'small secondary', 'aria-label': `End date for ${m.name}`,
        onclick: () => ask({
          title: `When does ${m.name}'s membership end?`, submit: 'Save end date',
          fields: [h('p', {}, 'For a locum: the membership becomes inactive by itself on this date. Leave it empty for no end date.'),
            field({ name: 'endsAt', label: 'End date', type: 'date', value: m.endsAt ? m.endsAt.slice(0, 10) : '' })],
          onSubmit: async (form) => {
            const d = val(form, 'endsAt');
            await put(`${base}/members/${seg(m.subject)}/end-date`, d ? { endsAt: new Date(`${d}T23:59:59`).toISOString() } : undefined);
            return true;
          },
        }).then((ok) => {
          if (ok) {
            announce(`${m.name}'s end date is saved.`);
            ctx.reload();
          }
        }) }, 'End date') : null,
      active && m.subject !== me ? h('button', { type: 'button', class: 'small danger', 'aria-label': `Deactivate ${m.name}`,
        onclick: () => withReason(`Deactivate ${m.name}`, 'Deactivate', false, `${base}/members/${seg(m.subject)}/deactivate`, `${m.name} is inactive.`) }, 'Deactivate') : null,
      !active ? h('button', { type: 'button', class: 'small secondary', 'aria-label': `Reactivate ${m.name}`,
        onclick: (e) => act(e.target, `${base}/members/${seg(m.subject)}/reactivate`, undefined, `${m.name} is active again.`) }, 'Reactivate') : null) },
  ], list, { empty: `No ${caption.toLowerCase()}.` });

  const joinRequests = table('Join requests', [
    { label: 'Name', cell: (r) => r.name },
    { label: 'Profession', cell: (r) => L.professionLabel(reference, r.profession) },
    { label: 'Email', cell: (r) => r.email },
    { label: 'Message', cell: (r) => r.comment || '' },
    { label: 'Requested', cell: (r) => [time(r.requestedAt, false), r.overdue ? [' ', badge('Overdue', 'bad')] : null] },
    { label: 'Actions', cell: (r) => h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'small', 'aria-label': `Approve ${r.name}'s join request`,
        onclick: (e) => act(e.target, `${base}/join-requests/${seg(r.id)}/approve`, undefined, `${r.name} is now a member.`) }, 'Approve'),
      h('button', { type: 'button', class: 'small danger', 'aria-label': `Reject ${r.name}'s join request`,
        onclick: () => withReason(`Reject ${r.name}'s request`, 'Reject request', true, `${base}/join-requests/${seg(r.id)}/reject`, `${r.name}'s request is rejected; they have been emailed the reason.`) }, 'Reject')) },
  ], members.joinRequests || [], { empty: 'No join requests are waiting.', hideCaption: true });

  const invite = h('form', { class: 'stack', novalidate: true, id: 'invite-form' },
    field({ id: 'invite-email', name: 'email', label: 'Invite someone by email', type: 'email', hint: 'One address at a time. They must register with this address to accept.' }),
    formError(),
    h('button', { type: 'submit' }, 'Send invitation'));
  invite.addEventListener('submit', async (e) => {
    e.preventDefault();
    const email = val(invite, 'email');
    const out = await submitting(invite, () => post(`${base}/invitations`, { email }));
    if (out) {
      announce(`Invitation sent to ${email}.`);
      ctx.reload();
    }
  });
  const invitations = table('Invitations awaiting response', [
    { label: 'Email', cell: (i) => i.email },
    { label: 'Invited by', cell: (i) => i.invitedBy },
    { label: 'Invited on', cell: (i) => time(i.invitedOn, false) },
    { label: 'Emails sent', cell: (i) => String(i.emailsSent) },
    { label: 'Expires', cell: (i) => time(i.expiresAt, false) },
    { label: 'Actions', cell: (i) => h('button', { type: 'button', class: 'small secondary', 'aria-label': `Resend the invitation to ${i.email}`,
      onclick: (e) => act(e.target, `${base}/invitations/${seg(i.id)}/resend`, undefined, `Invitation to ${i.email} sent again.`) }, 'Resend') },
  ], members.invitations || [], { empty: 'No invitations are awaiting a response.', hideCaption: true });

  const edit = h('form', { class: 'stack', novalidate: true, id: 'edit-worksite' },
    field({ name: 'name', label: 'Worksite name', value: w.name }),
    h('div', { class: 'grid-contact' },
      field({ name: 'phone', label: 'Phone', type: 'tel', value: w.phone }),
      field({ name: 'extension', label: 'Extension', value: w.extension || '' }),
      field({ name: 'email', label: 'Worksite email', type: 'email', value: w.email })),
    field({ name: 'emr', label: 'EMR vendor', type: 'select', value: w.emr, options: reference.emrVendors.map((v) => ({ value: v.name, label: v.name })) }),
    formError(),
    h('button', { type: 'submit' }, 'Save worksite details'));
  edit.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {};
    for (const k of ['name', 'phone', 'extension', 'email', 'emr']) if (val(edit, k) !== (w[k] || '')) body[k] = val(edit, k);
    if (!Object.keys(body).length) {
      announce('Nothing changed.');
      return;
    }
    const out = await submitting(edit, () => patch(base, body));
    if (out) {
      announce('Worksite details saved.');
      ctx.reload();
    }
  });

  const m = members.members;
  render(main,
    h('h1', {}, `${w.name} (${w.id})`),
    h('p', {}, w.addressLine, ' · ', w.locationTypeLabel),
    h('div', { class: `box ${s.breached || s.stalled ? 'bad' : s.state === 'approved' ? 'ok' : ''}`, id: 'worksite-status' },
      h('p', {}, h('strong', {}, 'Status: '), L.worksiteState(s.state), s.suspended ? [' ', badge('Suspended', 'bad')] : null),
      s.waitingOn ? h('p', {}, h('strong', {}, 'Who must act: '), L.party(s.waitingOn), s.nextAction ? ` — ${s.nextAction}` : '') : null,
      s.nextMilestone && !L.teamOnly(s.nextMilestone.kind) ? h('p', {}, `${L.milestone(s.nextMilestone.kind)}: `, time(s.nextMilestone.at)) : null,
      s.waitingOn === 'enrolment_team' ? h('p', {}, L.reviewWait()) : null,
      s.reason ? h('p', {}, `Reason: ${s.reason}`) : null,
      w.accessNote ? h('p', {}, w.accessNote) : null),
    h('section', { 'aria-labelledby': 'jr-h' }, h('h2', { id: 'jr-h' }, `Join requests (${(members.joinRequests || []).length})`), joinRequests),
    h('section', { 'aria-labelledby': 'members-h' }, h('h2', { id: 'members-h' }, 'Members'),
      h('h3', {}, 'Active'),
      memberTable('Active authorizers and independent users', m.active.authorizers, true),
      memberTable('Active on-behalf-of users', m.active.onBehalfOf, true),
      h('h3', {}, 'Inactive'),
      memberTable('Inactive authorizers and independent users', m.inactive.authorizers, false),
      memberTable('Inactive on-behalf-of users', m.inactive.onBehalfOf, false)),
    h('section', { 'aria-labelledby': 'inv-h' }, h('h2', { id: 'inv-h' }, 'Invitations'), invite, invitations),
    h('section', { 'aria-labelledby': 'edit-h' }, h('h2', { id: 'edit-h' }, 'Worksite details'),
      h('p', { class: 'small muted' }, 'The address and location type can only be changed by the enrolment team.'), edit),
    h('section', { 'aria-labelledby': 'tl-h' }, h('h2', { id: 'tl-h' }, 'Enrolment history'),
      h('ol', { class: 'timeline' }, (s.timeline || []).slice().reverse().map((e) => h('li', { class: 'done' },
        h('span', { class: 'what' }, L.kind(e.kind)), e.detail ? h('span', { class: 'who' }, e.detail) : null, h('span', { class: 'who' }, time(e.at)))))));
}

// ---------------------------------------------------------------- sponsorships (authorizer)

async function sponsorshipsView(main, ctx, id) {
  const reference = await ref();
  const out = await get(`/api/v1/worksites/${seg(id)}/sponsorship-requests`);
  const requests = out.requests || [];
  const approve = async (r, button) => {
    let body = {};
    if (r.profession === 'resident') {
      const ok = await ask({
        title: `Sponsor ${r.name}'s residency`, submit: 'Approve sponsorship',
        fields: [field({ name: 'residencyStart', label: 'Residency start', type: 'date', required: true }),
          field({ name: 'residencyEnd', label: 'Residency end (access ends on this date)', type: 'date', required: true })],
        onSubmit: async (form) => {
          const toTime = (d) => (d ? new Date(`${d}T00:00:00`).toISOString() : undefined);
          await post(`/api/v1/worksites/${seg(id)}/sponsorships/${seg(r.subject)}/approve`,
            { residencyStart: toTime(val(form, 'residencyStart')), residencyEnd: toTime(val(form, 'residencyEnd')) });
          return true;
        },
      });
      if (!ok) return;
    } else {
      button.disabled = true;
      try {
        await post(`/api/v1/worksites/${seg(id)}/sponsorships/${seg(r.subject)}/approve`, body);
      } catch (err) {
        announce(err.message, 'bad');
        button.disabled = false;
        return;
      }
    }
    announce(`You sponsor ${r.name}. They have been emailed.`);
    ctx.reload();
  };
  render(main,
    h('h1', {}, `Sponsorship requests at ${id}`),
    h('p', {}, 'On-behalf-of users (medical office assistants, residents) need an authorizer provisioned at this worksite to sponsor them. They get your business role.'),
    table('Sponsorship requests', [
      { label: 'Name', cell: (r) => r.name },
      { label: 'Profession', cell: (r) => L.professionLabel(reference, r.profession) },
      { label: 'Requested', cell: (r) => time(r.requestedAt, false) },
      { label: 'Actions', cell: (r) => h('button', { type: 'button', class: 'small', 'aria-label': `Approve sponsorship of ${r.name}`, onclick: (e) => approve(r, e.target) }, 'Approve sponsorship') },
    ], requests, { empty: 'No sponsorship requests are waiting.' }),
    h('p', {}, h('a', { href: '#/' }, 'Back to my status')));
}


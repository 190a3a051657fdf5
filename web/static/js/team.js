// team.js: the enrolment team's console.
//
//   #/?state=&worksiteType=&profession=&overdue=1&cursor=&back=
//                                                    the queue: worksites awaiting approval and applications: page, export
//   #/worksites?q=&state=&waitingOn=&cursor=         every worksite, from the status projection: find, page, export
//   #/people?q=&cursor=                              find a person by name, email or username: page, export
//   #/worksites/ID                                   a worksite: status, members, audit timeline, emails; decisions
//   #/people/SUBJECT                                 a person: account, applications, audit timeline; profession, suspension, sign-out everywhere
//   #/funnel                                         how many enrolments wait at each step, and on whom
//   #/find                                           open a subject page by worksite ID or person subject

import { start } from './shell.js';
import { get, post, put, patch, ref, seg, q } from './api.js';
import {
  h, field, checkbox, val, formError, submitting, announce, render, time, table, badge, ask, busy,
} from './dom.js';
import * as L from './labels.js';
import { typeFields } from './forms.js';

start({
  role: 'enrolment_team',
  loginPath: '/auth/login?as=team&returnTo=/team',
  signInTitle: 'Enrolment team sign-in',
  signInText: 'Sign in with your enrolment team account to work the queue.',
  wrongRole: 'This console is for the CareConnect enrolment team, and you are signed in with an applicant account. To enrol or see your enrolment, use the CareConnect portal.',
  otherPage: { href: '/portal', label: 'Go to the portal' },
  nav: [
    { href: '#/', label: 'Queue' },
    { href: '#/worksites', label: 'Worksites' },
    { href: '#/people', label: 'People' },
    { href: '#/funnel', label: 'Funnel' },
    { href: '#/find', label: 'Find a subject' },
  ],
  routes: [
    { path: /^\/$/, view: queueView },
    { path: /^\/worksites$/, view: worksitesView },
    { path: /^\/people$/, view: peopleView },
    { path: /^\/worksites\/([A-Za-z0-9]{7})$/, view: worksiteView },
    { path: /^\/people\/(.+)$/, view: personView },
    { path: /^\/funnel$/, view: funnelView },
    { path: /^\/find$/, view: findView },
  ],
});

let staffReference = null;

/**
 * staffRef returns what only the team's console needs (cached for the
 * page's life): the Temporal Web UI's address and namespace, which the
 * public reference tables do not give away.
 */
async function staffRef() {
  if (!staffReference) staffReference = await get('/api/v1/staff/reference');
  return staffReference;
}

/** temporalLink links to a workflow in the Temporal Web UI (temporal: staffRef()), when one is configured. */
function temporalLink(temporal, workflowId, label) {
  if (!temporal.temporalUi || !workflowId) return null;
  const ns = temporal.temporalNamespace || 'default';
  const href = `${temporal.temporalUi.replace(/\/$/, '')}/namespaces/${encodeURIComponent(ns)}/workflows/${encodeURIComponent(workflowId)}`;
  return h('a', { href, target: '_blank', rel: 'noopener', class: 'temporal-link', 'aria-label': `${label || 'Workflow'} ${workflowId} in the Temporal Web UI (opens a new tab)` }, 'Temporal');
}

function flags(x) {
  return [
    x.breached ? badge('SLA breached', 'bad') : null,
    x.escalated && !x.breached ? badge('Escalated', 'warn') : null,
    x.stalled ? badge('Stalled', 'warn') : null,
    x.suspended ? badge('Suspended', 'bad') : null,
  ].filter(Boolean).flatMap((b) => [b, ' ']);
}

/** subOptionLabel is the words for a worksite's sub-option. */
function subOptionLabel(reference, w) {
  const t = reference.locationTypes.find((x) => x.type === w.locationType);
  const o = ((t && t.subOptions) || []).find((x) => x.value === w.subOption);
  return o ? o.label : w.subOption;
}

const rowClass = (x) => (x.breached ? 'breached' : x.escalated ? 'escalated' : null);

/** days shows the business days waiting the API computed. */
const days = (n) => (typeof n === 'number' ? String(n) : '—');

/**
 * after is what follows a decision: in a queue the decided row leaves at
 * once (the queue is read from a projection that follows a moment later);
 * elsewhere the page is read again.
 */
function after(ctx, el) {
  const row = el && el.closest('tr[data-queue-row]');
  if (row) {
    const table = row.closest('table');
    row.remove();
    if (table && !table.tBodies[0].rows.length) table.after(h('p', { class: 'empty' }, 'Nothing left here.'));
    return;
  }
  ctx.reload();
}

/** reasonDialog posts {reason} to path after asking for the reason. */
function reasonDialog(ctx, title, submit, path, done, from) {
  return ask({
    title, submit,
    fields: [field({ name: 'reason', label: 'Reason (required; recorded and emailed)', type: 'textarea', required: true })],
    onSubmit: async (form) => {
      await post(path, { reason: val(form, 'reason') });
      return true;
    },
  }).then((ok) => {
    if (ok) {
      announce(done);
      after(ctx, from);
    } else if (from) {
      from.focus();
    }
  });
}

/**
 * revokeSessionsDialog signs a person out of every browser, once the team
 * member has confirmed it and said why.
 */
function revokeSessionsDialog(ctx, name, path, from) {
  return ask({
    title: `Sign ${name} out everywhere?`,
    submit: 'End all sessions',
    fields: [
      h('p', {}, `Every browser where ${name} is signed in is signed out at once. They can sign in again; to stop them using CareConnect, suspend their access instead.`),
      field({ name: 'reason', label: 'Reason (required; recorded in the audit timeline)', type: 'textarea', required: true }),
    ],
    onSubmit: (form) => post(`${path}/revoke-sessions`, { reason: val(form, 'reason') }),
  }).then((out) => {
    if (out) {
      announce(`${name} is signed out everywhere: ${out.revoked} session${out.revoked === 1 ? '' : 's'} ended.`);
      after(ctx, from);
    } else if (from) {
      from.focus();
    }
  });
}

async function act(ctx, button, path, body, done) {
  if (button.getAttribute('aria-busy') === 'true') return;
  const idle = busy(button);
  try {
    await post(path, body);
    announce(done);
    after(ctx, button);
  } catch (err) {
    announce(err.message, 'bad');
    idle();
  }
}

// ---------------------------------------------------------------- queue

async function queueView(main, ctx) {
  const [reference, temporal] = await Promise.all([ref(), staffRef()]);
  const f = {
    state: ctx.query.get('state') || 'ready_for_provisioning',
    worksiteType: ctx.query.get('worksiteType') || '',
    profession: ctx.query.get('profession') || '',
    overdue: ctx.query.get('overdue') === 'true',
  };
  // The page: its cursor, and the cursors of the pages before it (back,
  // '~' for the first page), which Previous page returns to.
  const cursor = ctx.query.get('cursor') || '';
  const back = cursor ? (ctx.query.get('back') || '~').split('.') : [];
  // The worksites awaiting approval page on their own (wcursor), and
  // keep their page while the applications turn theirs, and back.
  const wcursor = ctx.query.get('wcursor') || '';
  const out = await get(`/api/v1/staff/applications${q({ ...f, cursor, worksitesCursor: wcursor })}`);
  // The worksite filters also narrow the worksites awaiting approval (on the server).
  const worksites = out.worksitesAwaitingApproval || [];
  const apps = out.applications || [];
  const wsTotal = out.worksitesTotal ?? worksites.length;
  const wsHref = (c) => `#/${q({ ...f, cursor, back: cursor ? back.join('.') : '', wcursor: c })}`;
  const wsPager = h('div', { class: 'actions', id: 'ws-pager' },
    h('p', { id: 'ws-total' }, `${wsTotal} worksite${wsTotal === 1 ? '' : 's'} awaiting approval; ${worksites.length} shown on this page.`),
    wcursor ? h('a', { class: 'button small secondary', id: 'ws-first-page', href: wsHref('') }, 'First page of worksites') : null,
    out.worksitesNextCursor ? h('a', { class: 'button small secondary', id: 'ws-next-page', href: wsHref(out.worksitesNextCursor) }, 'Next page of worksites') : null,
    h('a', { class: 'button small secondary', id: 'ws-export-csv', href: `/api/v1/staff/worksites${q({ state: 'awaiting_team_review', format: 'csv' })}`,
      download: 'worksites-awaiting-approval.csv' }, 'Export every worksite awaiting approval to CSV'));

  const filters = h('form', { class: 'filters', id: 'filters', role: 'search', 'aria-label': 'Filter the queue' },
    field({ name: 'state', label: 'Application status', type: 'select', value: f.state, options: L.appStateList() }),
    field({ name: 'worksiteType', label: 'Worksite type', type: 'select', value: f.worksiteType, placeholder: 'Any type',
      options: reference.locationTypes.map((t) => ({ value: t.type, label: t.label })) }),
    field({ name: 'profession', label: 'Profession', type: 'select', value: f.profession, placeholder: 'Any profession',
      options: reference.professions.map((p) => ({ value: p.code, label: p.label })) }),
    checkbox({ name: 'overdue', label: 'Overdue only (escalated or breached)', checked: f.overdue }),
    h('div', { class: 'field' }, h('button', { type: 'submit' }, 'Apply filters')));
  const apply = (e) => {
    if (e) e.preventDefault();
    ctx.go(`#/${q({ state: val(filters, 'state'), worksiteType: val(filters, 'worksiteType'), profession: val(filters, 'profession'), overdue: val(filters, 'overdue') ? 'true' : '' })}`);
  };
  filters.addEventListener('submit', apply);
  filters.querySelectorAll('select, input').forEach((el) => el.addEventListener('change', () => apply()));

  const wsTable = table('Worksites awaiting approval', [
    { label: 'Worksite', cell: (w) => h('a', { href: `#/worksites/${w.id}` }, `${w.name} (${w.id})`) },
    { label: 'Type', cell: (w) => L.locationLabel(reference, w.locationType) },
    { label: 'Address', cell: (w) => w.address },
    { label: 'Waiting since', cell: (w) => (w.waitingSince ? time(w.waitingSince, false) : '') },
    { label: 'Business days waiting', cell: (w) => days(w.businessDaysWaiting ?? 0) },
    { label: 'Flags', cell: (w) => flags(w) },
    { label: 'Workflow', cell: (w) => temporalLink(temporal, w.workflowId || `worksite/${w.id}`, `Worksite ${w.id}`) },
    { label: 'Actions', cell: (w) => h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'small', 'aria-label': `Approve worksite ${w.name} (${w.id})`,
        onclick: (e) => act(ctx, e.target, `/api/v1/staff/worksites/${seg(w.id)}/approve`, {}, `Worksite ${w.id} approved.`) }, 'Approve'),
      h('button', { type: 'button', class: 'small danger', 'aria-label': `Reject worksite ${w.name} (${w.id})`,
        onclick: (e) => reasonDialog(ctx, `Reject worksite ${w.name} (${w.id})`, 'Reject worksite', `/api/v1/staff/worksites/${seg(w.id)}/reject`, `Worksite ${w.id} rejected.`, e.currentTarget) }, 'Reject')) },
  ], worksites, { empty: 'No worksites are awaiting approval.', hideCaption: true, rowClass, rowAttrs: () => ({ 'data-queue-row': '' }) });

  const appTable = table(`Applications: ${L.appState(f.state).toLowerCase()}`, [
    { label: 'Applicant', cell: (r) => h('a', { href: `#/people/${encodeURIComponent(r.subject)}` }, r.name) },
    { label: 'Profession', cell: (r) => L.professionLabel(reference, r.profession) },
    { label: 'Worksite', cell: (r) => h('a', { href: `#/worksites/${r.application.worksite.id}` }, `${r.application.worksite.name} (${r.application.worksite.id})`) },
    { label: 'Worksite type', cell: (r) => r.application.worksite.type ? r.application.worksite.type.label : '' },
    { label: f.state === 'ready_for_provisioning' ? 'Ready since' : 'Submitted', cell: (r) => time(r.application.readySince || r.application.submittedAt, false) },
    { label: 'Business days waiting', cell: (r) => days(r.businessDaysWaiting) },
    { label: 'Flags', cell: (r) => flags({ ...r.application, escalated: r.escalated ?? r.application.escalated, breached: r.breached ?? r.application.breached }) },
    { label: 'Workflow', cell: (r) => temporalLink(temporal, r.workflowId || `user/${r.subject}`, `Enrolment of ${r.name}`) },
    { label: 'Actions', cell: (r) => appActions(ctx, reference, r) },
  ], apps, { empty: 'No applications match these filters.', rowAttrs: () => ({ 'data-queue-row': '' }), rowClass: (r) => rowClass({ escalated: r.escalated ?? r.application.escalated, breached: r.breached ?? r.application.breached }) });

  render(main,
    h('h1', {}, 'Queue'),
    filters,
    h('section', { 'aria-labelledby': 'wsq-h' }, h('h2', { id: 'wsq-h' }, `Worksites awaiting approval (${wsTotal})`), wsPager, wsTable),
    h('section', { 'aria-labelledby': 'apq-h' }, h('h2', { id: 'apq-h' }, `Applications (${out.total ?? apps.length})`),
      h('p', { class: 'small muted' }, 'Longest waiting first. Escalated after 5 business days ready; the service level is breached after 7.'),
      pager(out, cursor, (c) => `#/${q({ ...f, cursor: c, back: c ? [...back, cursor || '~'].join('.') : '', wcursor })}`,
        `/api/v1/staff/applications${q({ ...f, format: 'csv' })}`, 'applications',
        cursor ? `#/${q({ ...f, cursor: back[back.length - 1] === '~' ? '' : back[back.length - 1], back: back.slice(0, -1).join('.'), wcursor })}` : ''),
      appTable));
}

function appActions(ctx, reference, r) {
  const a = r.application;
  const base = `/api/v1/staff/applications/${seg(r.subject)}/${seg(a.worksite.id)}`;
  const open = a.state === 'waiting' || a.state === 'ready_for_provisioning';
  const who = `${r.name} at ${a.worksite.id}`;
  return h('div', { class: 'actions' },
    a.state === 'ready_for_provisioning' ? h('button', { type: 'button', class: 'small', 'aria-label': `Provision ${who}`,
      onclick: (ev) => { const from = ev.currentTarget; ask({
        title: `Provision ${who}`, submit: 'Provision access',
        fields: [
          h('p', {}, 'Leave both empty to use the default business role for the profession and worksite type.'),
          field({ name: 'businessRole.roleContext', label: 'Role context', hint: 'e.g. Community Services, Pharmacy, Long-Term Care' }),
          field({ name: 'businessRole.functionalDescription', label: 'Functional description', hint: 'e.g. Prescriber, Non-Prescriber Clinician, Clinical Support Staff' }),
        ],
        onSubmit: async (form) => {
          const rc = val(form, 'businessRole.roleContext');
          const fd = val(form, 'businessRole.functionalDescription');
          const body = rc || fd ? { businessRole: { roleContext: rc, functionalDescription: fd } } : {};
          await post(`${base}/provision`, body);
          return true;
        },
      }).then((ok) => {
        if (ok) {
          announce(`${who} is provisioned; the welcome package is on its way.`);
          after(ctx, from);
        } else {
          from.focus();
        }
      }); } }, 'Provision') : null,
    open ? h('button', { type: 'button', class: 'small secondary', 'aria-label': `Send back ${who}`,
      onclick: (e) => reasonDialog(ctx, `Send back ${who}`, 'Send back', `${base}/send-back`, `${who} sent back to the applicant.`, e.currentTarget) }, 'Send back') : null,
    open ? h('button', { type: 'button', class: 'small danger', 'aria-label': `Reject ${who}`,
      onclick: (e) => reasonDialog(ctx, `Reject ${who}`, 'Reject application', `${base}/reject`, `${who} rejected.`, e.currentTarget) }, 'Reject') : null);
}

// ---------------------------------------------------------------- worksites

async function worksitesView(main, ctx) {
  const [reference, temporal] = await Promise.all([ref(), staffRef()]);
  const f = { q: ctx.query.get('q') || '', state: ctx.query.get('state') || '', waitingOn: ctx.query.get('waitingOn') || '' };
  const cursor = ctx.query.get('cursor') || '';
  const out = await get(`/api/v1/staff/worksites${q({ ...f, cursor })}`);
  const states = ['registering', 'awaiting_declaration', 'awaiting_team_review', 'approved', 'rejected', 'lapsed', 'registered_only', 'closed'];
  const parties = ['applicant', 'site_administrator', 'signing_authority', 'sponsor', 'learninghub', 'enrolment_team'];
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter worksites' },
    field({ name: 'q', label: 'Name, worksite ID or address', value: f.q, type: 'search' }),
    field({ name: 'state', label: 'Worksite status', type: 'select', value: f.state, placeholder: 'Any status', options: states.map((s) => ({ value: s, label: L.worksiteState(s) })) }),
    field({ name: 'waitingOn', label: 'Waiting on', type: 'select', value: f.waitingOn, placeholder: 'Anyone', options: parties.map((p) => ({ value: p, label: L.party(p) })) }),
    h('div', { class: 'field' }, h('button', { type: 'submit' }, 'Apply filters')));
  const apply = (e) => {
    if (e) e.preventDefault();
    ctx.go(`#/worksites${q({ q: val(filters, 'q'), state: val(filters, 'state'), waitingOn: val(filters, 'waitingOn') })}`);
  };
  filters.addEventListener('submit', apply);
  filters.querySelectorAll('select').forEach((el) => el.addEventListener('change', () => apply()));
  render(main, h('h1', {}, 'Worksites'), filters,
    pager(out, cursor, (c) => `#/worksites${q({ ...f, cursor: c })}`, `/api/v1/staff/worksites${q({ ...f, format: 'csv' })}`, 'worksites'),
    table('Worksites, oldest registration first', [
      { label: 'Worksite', cell: (w) => h('a', { href: `#/worksites/${w.id}` }, `${w.name} (${w.id})`) },
      { label: 'Type', cell: (w) => L.locationLabel(reference, w.locationType) },
      { label: 'Status', cell: (w) => L.worksiteState(w.state) },
      { label: 'Waiting on', cell: (w) => L.party(w.waitingOn) },
      { label: 'Since', cell: (w) => (w.waitingSince ? time(w.waitingSince, false) : '') },
      { label: 'Next', cell: (w) => (w.nextMilestoneKind ? [`${L.milestone(w.nextMilestoneKind)} `, time(w.nextMilestoneAt, false)] : '') },
      { label: 'Flags', cell: (w) => flags(w) },
      { label: 'Workflow', cell: (w) => temporalLink(temporal, w.workflowId || `worksite/${w.id}`, `Worksite ${w.id}`) },
    ], out.worksites || [], { empty: 'No worksites match.', rowClass }));
}

function auditTable(events) {
  return table('Audit timeline', [
    { label: 'When', cell: (e) => time(e.at) },
    { label: 'Action', cell: (e) => e.action },
    // Who acted, in words; the subject ID stays a hover away, for support.
    { label: 'Actor', cell: (e) => h('span', { class: 'actor', title: `Subject: ${e.actor}` }, e.actorLabel || L.role(e.role)) },
    { label: 'Worksite', cell: (e) => (e.worksiteId ? h('a', { href: `#/worksites/${e.worksiteId}` }, e.worksiteId) : '') },
    { label: 'Detail', cell: (e) => e.detail || '' },
    { label: 'Request', cell: (e) => (e.requestId ? h('code', {}, e.requestId) : '') },
  ], events || [], { empty: 'No audit events.', noRowHeader: true });
}

async function worksiteView(main, ctx, id) {
  const [reference, temporal] = await Promise.all([ref(), staffRef()]);
  const base = `/api/v1/staff/worksites/${seg(id)}`;
  const [ws, members, audit, emails, declared] = await Promise.all([
    get(`/api/v1/worksites/${seg(id)}`), get(`/api/v1/worksites/${seg(id)}/members`), get(`${base}/audit`), get(`${base}/emails`),
    // 404 until the declaration is signed.
    get(`${base}/declaration`).catch((err) => { if (err.status === 404) return null; throw err; }),
  ]);
  const decl = declared && declared.declaration;
  const w = ws.worksite;
  const s = ws.status;
  const all = [...members.members.active.authorizers, ...members.members.active.onBehalfOf, ...members.members.inactive.authorizers, ...members.members.inactive.onBehalfOf];
  const decided = ['approved', 'rejected', 'lapsed', 'registered_only', 'closed'].includes(s.state);
  const ended = ['rejected', 'lapsed', 'closed'].includes(s.state);

  const classify = h('form', { class: 'stack', novalidate: true, id: 'classify-form' },
    typeFields(reference, w),
    field({ id: 'classify-reason', name: 'reason', label: 'Reason (required; recorded)', type: 'textarea', required: true }),
    formError(),
    h('button', { type: 'submit', class: 'secondary' }, 'Change location type'));
  classify.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { locationType: val(classify, 'locationType'), reason: val(classify, 'reason') };
    if (val(classify, 'subOption')) body.subOption = val(classify, 'subOption');
    if (val(classify, 'otherDescription')) body.otherDescription = val(classify, 'otherDescription');
    const out = await submitting(classify, () => patch(base, body));
    if (out) {
      announce(`Worksite ${id} reclassified.`);
      ctx.reload();
    }
  });

  render(main,
    h('h1', {}, `Worksite ${w.name} (${w.id})`),
    h('p', {}, w.addressLine, ' · ', w.locationTypeLabel, w.subOption ? ` (${subOptionLabel(reference, w)})` : '', w.otherDescription ? ` (${w.otherDescription})` : '', ' · EMR ', w.emr, ' · ',
      temporalLink(temporal, `worksite/${w.id}`, `Worksite ${w.id}`) || h('span', { class: 'muted' }, 'Temporal UI not configured')),
    h('div', { class: `box ${s.breached ? 'bad' : s.escalated || s.stalled ? 'warn' : ''}`, id: 'worksite-status' },
      h('p', {}, h('strong', {}, 'Status: '), L.worksiteState(s.state), ' ', flags(s)),
      s.waitingOn ? h('p', {}, h('strong', {}, 'Who must act: '), L.party(s.waitingOn), s.nextAction ? ` — ${s.nextAction}` : '', ' · since ', time(s.waitingSince, false)) : null,
      s.nextMilestone ? h('p', {}, `${L.milestone(s.nextMilestone.kind)}: `, time(s.nextMilestone.at)) : null,
      s.reason ? h('p', {}, `Reason: ${s.reason}`) : null),
    h('div', { class: 'actions' },
      s.state === 'awaiting_team_review' ? [
        h('button', { type: 'button', onclick: (e) => act(ctx, e.target, `${base}/approve`, {}, `Worksite ${id} approved.`) }, 'Approve worksite'),
        h('button', { type: 'button', class: 'danger', onclick: () => reasonDialog(ctx, `Reject worksite ${w.name}`, 'Reject worksite', `${base}/reject`, `Worksite ${id} rejected.`) }, 'Reject worksite'),
      ] : null,
      !ended && !s.suspended ? h('button', { type: 'button', class: 'secondary', onclick: () => reasonDialog(ctx, `Suspend worksite ${w.name}`, 'Suspend worksite', `${base}/suspend`, `Worksite ${id} suspended.`) }, 'Suspend worksite') : null,
      s.suspended ? h('button', { type: 'button', class: 'secondary', onclick: () => reasonDialog(ctx, `Reinstate worksite ${w.name}`, 'Reinstate worksite', `${base}/reinstate`, `Worksite ${id} reinstated.`) }, 'Reinstate worksite') : null,
      !ended ? h('button', { type: 'button', class: 'danger', id: 'close-worksite', onclick: (e) => reasonDialog(ctx, `Close worksite ${w.name}`, 'Close worksite', `/api/v1/worksites/${seg(id)}/close`, `Worksite ${id} closed; every membership has ended.`, e.currentTarget) }, 'Close worksite') : null),
    h('section', { 'aria-labelledby': 'contact-h' }, h('h2', { id: 'contact-h' }, 'Contact'),
      h('dl', { class: 'facts', id: 'worksite-contact' },
        h('dt', {}, 'Contact name'), h('dd', {}, w.contactName || 'Not given'),
        h('dt', {}, 'Phone'), h('dd', {}, w.phone, w.extension ? ` ext. ${w.extension}` : ''),
        h('dt', {}, 'Email'), h('dd', {}, w.email))),
    h('section', { 'aria-labelledby': 'decl-h' }, h('h2', { id: 'decl-h' }, 'Privacy & Security Declaration'),
      decl ? h('div', { id: 'worksite-declaration' },
        h('dl', { class: 'facts' },
          h('dt', {}, 'Signed by'), h('dd', {}, decl.signerName),
          h('dt', {}, 'Title'), h('dd', {}, decl.signerTitle),
          decl.signerEmail ? [h('dt', {}, 'Email'), h('dd', {}, decl.signerEmail)] : null,
          h('dt', {}, 'Signed at'), h('dd', {}, time(decl.signedAt))),
        h('h3', {}, 'Attestations'),
        h('ul', {}, (decl.attestations || []).map((a) => h('li', {}, a.text || a.id))),
        h('h3', {}, 'Antivirus screenshot'),
        h('img', { src: `${base}/declaration/screenshot`, alt: `Antivirus screenshot supplied with the declaration of ${w.name}`, id: 'declaration-screenshot', class: 'screenshot' })) :
        h('p', { class: 'muted' }, 'Not signed yet.')),
    h('section', { 'aria-labelledby': 'm-h' }, h('h2', { id: 'm-h' }, 'Members'),
      table('Members', [
        { label: 'Name', cell: (m) => h('a', { href: `#/people/${encodeURIComponent(m.subject)}` }, m.name) },
        { label: 'Profession', cell: (m) => L.professionLabel(reference, m.profession) },
        { label: 'Type', cell: (m) => L.userType(m.userType) },
        { label: 'Membership', cell: (m) => [m.active ? badge('Active', 'ok') : badge('Inactive', 'bad'), ' ', m.admin ? badge('Site administrator') : null] },
        { label: 'Since', cell: (m) => time(m.since, false) },
      ], all, { empty: 'No members.' }),
      (members.joinRequests || []).length ? h('p', {}, `${members.joinRequests.length} join request(s) waiting on the site administrators.`) : null),
    !decided || w.access === 'reclassify' ? h('section', { 'aria-labelledby': 'c-h' }, h('h2', { id: 'c-h' }, 'Reclassify'), classify) : null,
    h('section', { 'aria-labelledby': 'a-h' }, h('h2', { id: 'a-h' }, 'Audit timeline'), auditTable(audit.events)),
    h('section', { 'aria-labelledby': 'e-h' }, h('h2', { id: 'e-h' }, 'Emails'),
      table('Email log', [
        { label: 'Kind', cell: (e) => L.kind(e.kind) },
        { label: 'Subject', cell: (e) => e.subject },
        { label: 'To', cell: (e) => (e.recipients || []).join(', ') },
        { label: 'Status', cell: (e) => badge(e.status, e.status === 'sent' ? 'ok' : e.status === 'failed' ? 'bad' : 'warn') },
        { label: 'Sent', cell: (e) => (e.sentAt ? time(e.sentAt) : '') },
      ], emails.emails || [], { empty: 'No emails.' })));
}

// ---------------------------------------------------------------- people

async function personView(main, ctx, subject) {
  const [reference, temporal] = await Promise.all([ref(), staffRef()]);
  const path = `/api/v1/staff/people/${seg(subject)}`;
  const p = await get(path);
  const st = p.status;
  const a = p.account;
  const name = `${st.legalFirstName} ${st.legalLastName}`;
  const suspension = st.accessSuspended;
  const prof = a ? reference.professions.find((x) => x.code === a.profession) : null;
  const idLabel = (k) => ((prof && prof.ids) || []).find((f) => f.key === k)?.label || k.replace(/_/g, ' ');

  const profForm = h('form', { class: 'stack', novalidate: true, id: 'profession-form' });
  const idsBox = h('div', {});
  const profField = field({ name: 'profession', label: 'New profession', type: 'select', required: true, placeholder: 'Choose a profession',
    options: reference.professions.map((x) => ({ value: x.code, label: x.label })) });
  const sel = profField.querySelector('select');
  sel.addEventListener('change', () => {
    const prof = reference.professions.find((x) => x.code === sel.value);
    idsBox.replaceChildren(...((prof && prof.ids) || []).map((f) => field({ name: `professionIds.${f.key}`, label: f.label, required: true, hint: `For example ${f.example}` })));
  });
  profForm.append(profField, idsBox, field({ id: 'profession-reason', name: 'reason', label: 'Reason (required; recorded)', type: 'textarea', required: true }), formError(),
    h('button', { type: 'submit', class: 'secondary' }, 'Correct profession'));
  profForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const prof = reference.professions.find((x) => x.code === val(profForm, 'profession'));
    const body = { profession: val(profForm, 'profession'), reason: val(profForm, 'reason') };
    if (prof && prof.ids && prof.ids.length) body.professionIds = Object.fromEntries(prof.ids.map((f) => [f.key, val(profForm, `professionIds.${f.key}`)]));
    const out = await submitting(profForm, () => put(`${path}/profession`, body));
    if (out) {
      announce(`${name}'s profession is corrected.`);
      ctx.reload();
    }
  });

  render(main,
    h('h1', {}, `${name}`),
    h('p', {}, h('code', {}, subject), ' · ', temporalLink(temporal, `user/${subject}`, `Enrolment of ${name}`) || h('span', { class: 'muted' }, 'Temporal UI not configured')),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Legal name'), h('dd', { id: 'person-legal-name' }, name),
      a && (a.preferredFirstName || a.preferredLastName)
        ? [h('dt', {}, 'Preferred name'), h('dd', { id: 'person-preferred-name' }, [a.preferredFirstName || a.legalFirstName, a.preferredLastName || a.legalLastName].join(' '))] : null,
      h('dt', {}, 'Enrolment'), h('dd', {}, L.userState(st.state)),
      st.waitingOn ? [h('dt', {}, 'Who must act'), h('dd', {}, L.party(st.waitingOn), st.nextAction ? ` — ${st.nextAction}` : '')] : null,
      a ? [
        h('dt', {}, 'Username'), h('dd', {}, a.username),
        h('dt', {}, 'Email'), h('dd', {}, a.email),
        h('dt', {}, 'Phone'), h('dd', {}, a.phone),
        h('dt', {}, 'Profession'), h('dd', { id: 'person-profession' }, L.professionLabel(reference, a.profession)),
        Object.entries(a.professionIds || {}).map(([k, v]) => [h('dt', {}, idLabel(k)), h('dd', {}, v)]),
      ] : [h('dt', {}, 'Account'), h('dd', {}, 'Not registered yet')],
      h('dt', {}, 'Privacy & Security course'), h('dd', {}, st.courseCompletedAt ? time(st.courseCompletedAt) : 'Not completed'),
      h('dt', {}, 'HPCAA'), h('dd', {}, st.agreementAcknowledgedAt ? time(st.agreementAcknowledgedAt) : 'Not acknowledged')),
    suspension ? h('div', { class: 'box bad', id: 'person-suspension' },
      h('p', {}, h('strong', {}, 'Access suspended'), ' since ', time(suspension.at), ` by ${suspension.by}: ${suspension.reason}`)) : null,
    h('div', { class: 'actions' },
      !suspension ? h('button', { type: 'button', class: 'danger', id: 'suspend-person', onclick: (e) => reasonDialog(ctx, `Suspend ${name}'s access`, 'Suspend access', `${path}/suspend`, `${name}'s access is suspended.`, e.currentTarget) }, 'Suspend access') : null,
      suspension ? h('button', { type: 'button', class: 'secondary', id: 'reinstate-person', onclick: (e) => reasonDialog(ctx, `Reinstate ${name}'s access`, 'Reinstate access', `${path}/reinstate`, `${name}'s access is reinstated.`, e.currentTarget) }, 'Reinstate access') : null,
      h('button', { type: 'button', class: 'secondary', id: 'revoke-sessions', onclick: (e) => revokeSessionsDialog(ctx, name, path, e.currentTarget) }, 'End all sessions')),
    h('section', { 'aria-labelledby': 'pa-h' }, h('h2', { id: 'pa-h' }, 'Applications'),
      table('Applications', [
        { label: 'Worksite', cell: (x) => h('a', { href: `#/worksites/${x.worksite.id}` }, `${x.worksite.name} (${x.worksite.id})`) },
        { label: 'Status', cell: (x) => [L.appState(x.state), ' ', flags(x)] },
        { label: 'Outstanding or reason', cell: (x) => (['waiting', 'ready_for_provisioning'].includes(x.state) ? (x.requirements || []).filter((r) => !r.done).map((r) => `${L.requirement(r.key)} (${L.party(r.waitingOn)})`).join('; ') || 'Nothing' : x.reason || '') },
        { label: 'Business role', cell: (x) => (x.businessRole ? `${x.businessRole.roleContext} — ${x.businessRole.functionalDescription}` : '') },
        { label: 'Actions', cell: (x) => appActions(ctx, reference, { subject, name, profession: a && a.profession, application: x }) },
      ], st.applications || [], { empty: 'No applications.' })),
    a ? h('section', { 'aria-labelledby': 'pp-h' }, h('h2', { id: 'pp-h' }, 'Correct the profession'), profForm) : null,
    h('section', { 'aria-labelledby': 'pt-h' }, h('h2', { id: 'pt-h' }, 'Audit timeline'), auditTable(p.audit)));
}

// ---------------------------------------------------------------- funnel

async function funnelView(main) {
  const data = await get('/api/v1/staff/funnel');
  const steps = data.steps || [];
  const alt = `Enrolments waiting at each step: ${steps.map((s) => `${s.label}, ${s.count}, waiting on ${L.party(s.waitingOn)}`).join('; ')}.`;
  render(main,
    h('h1', {}, 'Funnel'),
    h('p', {}, 'How many enrolments wait at each step, and on whom.'),
    h('figure', { class: 'funnel' },
      h('img', { src: `/api/v1/staff/funnel.svg?t=${Date.now()}`, alt, id: 'funnel-chart', width: 900 }),
      h('figcaption', { class: 'small muted' }, 'The same numbers as the table below.')),
    table('Enrolments waiting by step', [
      { label: 'Step', cell: (s) => s.label },
      { label: 'Waiting on', cell: (s) => L.party(s.waitingOn) || 'Nobody (done)' },
      { label: 'Count', cell: (s) => String(s.count) },
    ], steps, { empty: 'Nothing is waiting.' }));
}

// ---------------------------------------------------------------- find

// pager says how many rows match in all, and offers the next page (by
// the list's cursor), the previous page (prevHref, when the list keeps
// its trail), the first page again, and the CSV of every match.
function pager(out, cursor, pageHref, csvHref, noun, prevHref = '') {
  const shown = (out[noun] || []).length;
  return h('div', { class: 'actions', id: 'pager' },
    h('p', { id: 'list-total' }, `${out.total} ${noun} match${out.total === 1 ? 'es' : ''}; ${shown} shown on this page.`),
    cursor ? h('a', { class: 'button small secondary', href: pageHref('') }, 'First page') : null,
    prevHref ? h('a', { class: 'button small secondary', id: 'prev-page', href: prevHref }, 'Previous page') : null,
    out.nextCursor ? h('a', { class: 'button small secondary', id: 'next-page', href: pageHref(out.nextCursor) }, 'Next page') : null,
    h('a', { class: 'button small secondary', id: 'export-csv', href: csvHref, download: `${noun}.csv` }, 'Export all to CSV'));
}

// peopleView finds a person by name (legal or preferred), email or username.
async function peopleView(main, ctx) {
  const f = { q: ctx.query.get('q') || '' };
  const cursor = ctx.query.get('cursor') || '';
  const [reference, out] = await Promise.all([ref(), get(`/api/v1/staff/people${q({ ...f, cursor })}`)]);
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Find a person', id: 'people-search' },
    field({ name: 'q', label: 'Name, email or username', value: f.q, type: 'search' }),
    h('div', { class: 'field' }, h('button', { type: 'submit' }, 'Find')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.go(`#/people${q({ q: val(form, 'q') })}`);
  });
  const preferred = (p) => [p.preferredFirstName, p.preferredLastName].filter(Boolean).join(' ');
  render(main, h('h1', {}, 'People'), form,
    pager(out, cursor, (c) => `#/people${q({ ...f, cursor: c })}`, `/api/v1/staff/people${q({ ...f, format: 'csv' })}`, 'people'),
    table('People, by legal last name', [
      { label: 'Legal name', cell: (p) => h('a', { href: `#/people/${encodeURIComponent(p.subject)}` }, `${p.legalFirstName} ${p.legalLastName}`) },
      { label: 'Preferred name', cell: (p) => preferred(p) },
      { label: 'Username', cell: (p) => p.username || '' },
      { label: 'Email', cell: (p) => p.email || '' },
      { label: 'Profession', cell: (p) => (p.profession ? L.professionLabel(reference, p.profession) : 'No account yet') },
      { label: 'Enrolment', cell: (p) => [L.userState(p.state), p.waitingOn ? ` · waiting on ${L.party(p.waitingOn)}` : ''] },
    ], out.people || [], { empty: 'No one matches.' }));
}

async function findView(main, ctx) {
  const form = h('form', { class: 'stack', novalidate: true, id: 'find-form' },
    field({ name: 'target', label: 'Worksite ID or person subject', hint: 'A 7-character worksite ID (e.g. K4T6CLP) or a person\'s identity subject' }),
    formError(),
    h('button', { type: 'submit' }, 'Open'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const t = val(form, 'target');
    if (!t) {
      form.querySelector('[data-error-for=target]').textContent = 'Enter a worksite ID or a subject.';
      form.querySelector('input').setAttribute('aria-invalid', 'true');
      form.querySelector('input').focus();
      return;
    }
    ctx.go(/^[A-Za-z0-9]{7}$/.test(t) ? `#/worksites/${t.toUpperCase()}` : `#/people/${encodeURIComponent(t)}`);
  });
  render(main, h('h1', {}, 'Find a subject'), h('p', {}, 'Open a worksite\'s or a person\'s page with their full audit timeline.'), form);
}

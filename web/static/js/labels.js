// labels.js: the words the pages use for the API's codes.

const parties = {
  applicant: 'Applicant',
  site_administrator: 'Site administrator',
  signing_authority: 'Signing authority',
  sponsor: 'Sponsor (an authorizer at the worksite)',
  learninghub: 'LearningHub',
  enrolment_team: 'Enrolment team',
};

/** party names who must act; you is how the portal names the reader. */
export function party(code, you) {
  if (!code) return '';
  if (you && code === you) return 'You';
  return parties[code] || code;
}

const worksiteStates = {
  registering: 'Registering',
  awaiting_declaration: 'Awaiting the signed declaration',
  awaiting_team_review: 'Awaiting enrolment team review',
  approved: 'Approved',
  rejected: 'Rejected',
  lapsed: 'Lapsed',
  registered_only: 'Registered only (no CareConnect access)',
  closed: 'Closed',
};
export const worksiteState = (s) => worksiteStates[s] || s || '';

const appStates = {
  waiting: 'Waiting on requirements',
  ready_for_provisioning: 'Ready for provisioning',
  provisioned: 'Provisioned',
  rejected: 'Rejected',
  sent_back: 'Sent back',
  lapsed: 'Lapsed',
  ended: 'Ended',
  suspended: 'Suspended',
};
export const appState = (s) => appStates[s] || s || '';
export const appStateList = Object.entries(appStates).map(([value, label]) => ({ value, label }));

const userStates = {
  identity_validated: 'Identity validated',
  account_registered: 'Account registered',
  password_expired: 'Password expired',
};
export const userState = (s) => userStates[s] || s || '';

const milestones = {
  reminder: 'Next reminder',
  stalled: 'Flagged as stalled',
  lapse: 'Lapses',
  escalate: 'Escalated to the team',
  breach: 'Service level breached',
  sponsor_reminder: 'Next reminder to the authorizers',
  residency_notice: 'Residency ending notice',
  residency_end: 'Access ends with the residency',
};
export const milestone = (k) => milestones[k] || k || '';

const requirements = {
  membership: 'Membership at the worksite',
  worksite: 'Worksite declaration signed and worksite approved',
  course: 'Privacy & Security course (LearningHub)',
  hpcaa: 'Access agreement (HPCAA) acknowledged (LearningHub)',
  sponsor: 'Sponsorship by an authorizer',
  team: 'Provisioning by the enrolment team',
};
export const requirement = (k) => requirements[k] || k;

const userTypes = {
  authorizer: 'Authorizer',
  on_behalf_of: 'On-behalf-of user',
  independent: 'Independent user',
  not_designated: 'Not designated',
};
export const userType = (t) => userTypes[t] || t || '';

/** kind turns a timeline kind (declaration_signed) into words. */
export const kind = (k) => {
  const s = String(k || '').replace(/[_.]/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
};

/** professionLabel finds a profession's label in the reference tables. */
export function professionLabel(reference, code) {
  const p = (reference.professions || []).find((x) => x.code === code);
  return p ? p.label : code || '';
}

/** locationLabel finds a worksite type's label. */
export function locationLabel(reference, code) {
  const t = (reference.locationTypes || []).find((x) => x.type === code);
  return t ? t.label : code || '';
}

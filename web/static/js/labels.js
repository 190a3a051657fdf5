// labels.js: the words the pages use for the API's codes. The table is the
// server's (domain.Labels, in GET /api/v1/reference), the same one the
// emails use; shell.js installs it with useLabels before any page renders.
// A code the table lacks is made readable, never shown raw.

let table = {
  worksiteStates: {}, applicationStates: {}, userStates: {}, parties: {}, requirements: {},
  userTypes: {}, roles: {}, professions: {}, milestones: {}, teamOnlyMilestones: [], events: {}, applicantReviewWait: '',
};

/** useLabels installs the server's label table (reference.labels). */
export function useLabels(labels) {
  if (labels) table = { ...table, ...labels };
}

/** humanize turns a code into words: some_code becomes "Some code". */
export function humanize(code) {
  const s = String(code || '').replace(/[_.-]+/g, ' ').trim();
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : '';
}

const from = (name) => (code) => (code ? table[name][code] || humanize(code) : '');

/** party names who must act; you is how the portal names the reader. */
export function party(code, you) {
  if (!code) return '';
  if (you && code === you) return 'You';
  return from('parties')(code);
}

export const worksiteState = from('worksiteStates');
export const appState = from('applicationStates');
export const appStateList = () => Object.entries(table.applicationStates).map(([value, label]) => ({ value, label }));
export const userState = from('userStates');
export const milestone = from('milestones');
export const requirement = from('requirements');
export const userType = from('userTypes');
export const role = from('roles');

/** kind turns a timeline event kind (declaration_signed) into words. */
export const kind = from('events');

/** teamOnly reports whether a milestone is the team's business only (service levels, flags). */
export const teamOnly = (k) => table.teamOnlyMilestones.includes(k);

/** reviewWait is what applicants are told about the enrolment team's pace. */
export const reviewWait = () => table.applicantReviewWait || 'The enrolment team usually answers within 5–7 business days.';

/** professionLabel finds a profession's label: the label table's (as the emails word it), else the reference tables'. */
export function professionLabel(reference, code) {
  if (code && table.professions[code]) return table.professions[code];
  const p = ((reference && reference.professions) || []).find((x) => x.code === code);
  return p ? p.label : humanize(code);
}

/** locationLabel finds a worksite type's label. */
export function locationLabel(reference, code) {
  const t = (reference.locationTypes || []).find((x) => x.type === code);
  return t ? t.label : humanize(code);
}

// The service name rule of the API (DESIGN.md §3): 2–64 characters of
// a-z, 0-9 and '-', starting and ending with a letter or digit. Checked as
// the user types so a bad name never reaches the server.
import type { MessageKey } from '../../i18n/en-US';

const allowed = /^[a-z0-9-]*$/;
const edges = /^[a-z0-9](.*[a-z0-9])?$/;

// The first broken part of the rule, or null when the name is valid.
export function nameProblem(name: string): MessageKey | null {
  if (name.length < 2) return 'deploy.nameTooShort';
  if (name.length > 64) return 'deploy.nameTooLong';
  if (!allowed.test(name)) return 'deploy.nameChars';
  if (!edges.test(name)) return 'deploy.nameEdges';
  return null;
}

// The dependency-confusion guard and the sdist rule, both read from the vetting policy so
// that mirroring and vetting can never disagree about which names the company owns.
import type { Repository } from '../repository/types.js';
import { globMatches } from './upstreams.js';

// Provisional: replaced by the vetting policy's own matcher once it lands.
async function ownedPatterns(_repo: Repository): Promise<string[]> {
  return [];
}

/** A predicate telling whether a project name is owned (never fetched from any upstream). */
export async function ownedNameMatcher(repo: Repository): Promise<(project: string) => boolean> {
  const patterns = await ownedPatterns(repo);
  return (project) => patterns.some((p) => globMatches(p, project));
}

/** Whether the policy lets sdists in; wheels only by default. */
export async function sdistsAllowed(_repo: Repository): Promise<boolean> {
  return false;
}

// The dependency-confusion guard and the sdist rule, both read from the vetting policy so
// that mirroring and vetting can never disagree about which names the company owns.
import type { Repository } from '../repository/types.js';
import { matchesOwnedName } from '../vetting/evaluate.js';
import { loadPolicy } from '../vetting/policy.js';

/** A predicate telling whether a project name is owned (never fetched from any upstream). */
export async function ownedNameMatcher(repo: Repository): Promise<(project: string) => boolean> {
  const { policy } = await loadPolicy(repo);
  return (project) => matchesOwnedName(project, policy.owned_names) !== undefined;
}

/** Whether the policy lets sdists in (a wheel is always preferred when one fits the target). */
export async function sdistsAllowed(repo: Repository): Promise<boolean> {
  return (await loadPolicy(repo)).policy.allow_sdists;
}

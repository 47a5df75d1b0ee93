import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, readRepoFile, repoPath } from './deploy-tools.js';

const PAGES = ['README.md', 'deploy/systemd/INSTALL.md', ...readdirSync(repoPath('deploy/docs')).filter((name) => name.endsWith('.md')).map((name) => `deploy/docs/${name}`)];
const SHARED = resolve(ROOT, '../shared');

/** Straight quotes and apostrophes, single spaces: the policy file uses typographic ones. */
function normalize(text: string): string {
  return text.replace(/[‘’]/g, "'").replace(/[“”]/g, '"').replace(/\s+/g, ' ');
}

describe('documentation pages', () => {
  it('README links every page under deploy/docs', () => {
    const readme = readRepoFile('README.md');
    for (const page of PAGES.filter((path) => path.startsWith('deploy/docs/'))) expect(readme, page).toContain(`(${page})`);
  });

  it('every relative link and every repository path in backticks points at a file that exists', () => {
    for (const page of PAGES) {
      const text = readRepoFile(page);
      for (const [, target] of text.matchAll(/\]\(([^)#:]+)(#[^)]*)?\)/g)) {
        expect(existsSync(resolve(dirname(repoPath(page)), target!)), `${page} → ${target}`).toBe(true);
      }
      for (const [, path] of text.matchAll(/`((?:deploy|config|scripts|test|src)\/[\w./-]+?)`/g)) {
        if (/[<*]/.test(path!) || /^src\/[a-z]+$/.test(path!)) continue;
        expect(existsSync(repoPath(path!)), `${page} names ${path}`).toBe(true);
      }
    }
  });

  it.runIf(existsSync(join(SHARED, 'seed/city-privacy-policy.txt')))('quotes the city privacy policy verbatim', () => {
    const policy = normalize(readRepoFile(relative(ROOT, join(SHARED, 'seed/city-privacy-policy.txt'))));
    const mapping = readRepoFile('deploy/docs/policy-mapping.md');
    const quotes = [...mapping.matchAll(/"([^"|]*)"/g)].map((match) => match[1]!).filter((quote) => quote.length >= 10);
    expect(quotes.length).toBeGreaterThanOrEqual(15);
    for (const quote of quotes) {
      for (const fragment of quote.split(/\s*…\s*/).filter((part) => part.length > 0)) {
        expect(policy, fragment).toContain(normalize(fragment));
      }
    }
  });

  it.runIf(existsSync(join(SHARED, 'DESIGN.md')))('the privacy model states every invariant of DESIGN.md and cites only real requirement ids', () => {
    const design = readRepoFile(relative(ROOT, join(SHARED, 'DESIGN.md')));
    const requirements = readRepoFile(relative(ROOT, join(SHARED, 'REQUIREMENTS.md')));
    const model = readRepoFile('deploy/docs/privacy-security.md');
    const invariants = [...design.matchAll(/^\| (P\d+) \|/gm)].map((match) => match[1]!);
    expect(invariants).toHaveLength(8);
    for (const id of invariants) expect(model).toMatch(new RegExp(`^\\| ${id} \\| \\*\\*`, 'm'));
    const known = new Set([...requirements.matchAll(/\*\*([A-H]\d+) /g)].map((match) => match[1]!));
    for (const page of ['deploy/docs/privacy-security.md', 'deploy/docs/policy-mapping.md']) {
      const text = readRepoFile(page);
      for (const [range, letter, from, to] of text.matchAll(/\b([A-H])(\d+)(?:–[A-H](\d+))?\b/g)) {
        for (let n = Number(from); n <= Number(to ?? from); n++) expect(known.has(`${letter}${n}`), `${page}: ${range}`).toBe(true);
      }
    }
  });
});

// Text from outside (advisories, package metadata) printed for people: control characters are
// shown, not obeyed, and a huge table cell is cut instead of taking minutes to lay out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plain, printTable } from '../../src/cli/output.js';

test('plain shows terminal control characters as escapes, keeping newlines and tabs', () => {
  assert.equal(plain('a\x1b[2Jb\x07c\nd\te\u009bf\x1b]0;title\x07'), 'a\\u001b[2Jb\\u0007c\nd\te\\u009bf\\u001b]0;title\\u0007');
  assert.equal(plain('naïve — ok'), 'naïve — ok');
});

test('a 100 000-character cell is cut, and the table is printed at once', () => {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    printTable(['fixed in'], [['9'.repeat(100_000)]]);
  } finally {
    process.stdout.write = write;
  }
  const out = chunks.join('');
  assert.ok(out.includes(`${'9'.repeat(300)}…`), 'the cell is cut at 300 characters');
  assert.ok(out.length < 2000, `${out.length} characters printed`);
});

// Lists functions over 200 lines and exported functions that throw without saying so in their
// docstring (issue 9). Run from the repository root: node scripts/audit-docstrings.mjs

import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const files = [];
const walk = (d) => {
  for (const f of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, f.name);
    if (f.isDirectory()) walk(p);
    else if (p.endsWith('.ts')) files.push(p);
  }
};
walk('src');
const long = [],
  undocumented = [];
for (const f of files) {
  const text = fs.readFileSync(f, 'utf8');
  const sf = ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true);
  const visit = (n) => {
    if (
      (ts.isFunctionDeclaration(n) ||
        ts.isMethodDeclaration(n) ||
        ts.isArrowFunction(n) ||
        ts.isFunctionExpression(n)) &&
      n.body
    ) {
      const a = sf.getLineAndCharacterOfPosition(n.getStart()).line,
        b = sf.getLineAndCharacterOfPosition(n.getEnd()).line;
      if (b - a > 200) long.push(`${f}:${a + 1} ${b - a} lines`);
    }
    if (
      ts.isFunctionDeclaration(n) &&
      n.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) &&
      n.body
    ) {
      const body = n.body.getText();
      if (/\bthrow\b/.test(body)) {
        const doc = ts
          .getJSDocCommentsAndTags(n)
          .map((d) => d.getText())
          .join('\n');
        if (!/throw|reject|never throws/i.test(doc))
          undocumented.push(
            `${f}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1} ${n.name?.text}`,
          );
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
}
console.log('long functions:', long.length);
console.log(long.join('\n'));
console.log('exported throwing functions without a throws doc:', undocumented.length);
console.log(undocumented.join('\n'));

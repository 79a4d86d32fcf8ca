import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { renderCall } from '../src/tenant/render';
import { requirePwsh } from './support/pwsh';

const corpus = [
  'bob.kelly@contoso.com', "o'brien@contoso.com", 'Bob \u2018Kelly\u2019 \u201AX\u201B', 'a\nb', 'x\u0000y', 'tab\there', '$(whoami)\n`"\u201C\u201D\u201E', '\u2028line\u2029sep\u0085', 'bell\u0007esc\u001b', '@(1); & | <# #>',
];

describe('rendering a cmdlet call as PowerShell text (plan and audit)', function () {
  this.timeout(60_000);

  it('keeps control characters out of the text', () => {
    for (const v of corpus) assert.doesNotMatch(renderCall({ cmdlet: 'Set-CsUser', params: { Identity: v } }), /[\u0000-\u001f\u007f\u0085\u2028\u2029]/);
  });

  it('renders each value as a literal that PowerShell parses back to the same string, with no expression inside', function () {
    const pwsh = requirePwsh(this);
    const lines = corpus.map((v) => renderCall({ cmdlet: 'Set-CsUser', params: { Identity: v } }));
    const script = `
      $lines = [Console]::In.ReadToEnd() | ConvertFrom-Json
      $results = foreach ($l in $lines) {
        $errs = $null; $tokens = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($l, [ref]$tokens, [ref]$errs)
        $cmd = $ast.EndBlock.Statements[0].PipelineElements[0]
        $arg = $cmd.CommandElements[2]
        $nested = if ($arg -is [System.Management.Automation.Language.ExpandableStringExpressionAst]) { $arg.NestedExpressions.Count } else { 0 }
        [pscustomobject]@{ errors = $errs.Count; statements = $ast.EndBlock.Statements.Count; elements = $cmd.CommandElements.Count; nested = $nested; value = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($arg.Value)) }
      }
      ConvertTo-Json -InputObject @($results) -Compress`;
    const out = execFileSync(pwsh, ['-NoProfile', '-NonInteractive', '-Command', script], { input: JSON.stringify(lines), encoding: 'utf8' });
    const parsed = JSON.parse(out) as { errors: number; statements: number; elements: number; nested: number; value: string }[];
    parsed.forEach((p, i) => {
      assert.deepEqual({ ...p, value: Buffer.from(p.value, 'base64').toString('utf8') }, { errors: 0, statements: 1, elements: 3, nested: 0, value: corpus[i] }, lines[i]);
    });
  });
});

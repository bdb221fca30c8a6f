// Prints, as JSON, the Unicode 8.0 code point ranges ([first, last] pairs) of the general categories that
// Hugging Face's BERT normalizer and pre-tokenizer test (its unicode_categories tables are Unicode 8.0):
// Nonspacing_Mark, Punctuation and Format. NvEmbed's Unicode8Categories holds the same ranges; a test
// compares them, and `node tokenizer/unicode8-ranges.js --csharp` prints them as C# array initializers.
'use strict';

async function ranges(category) {
  const mod = await import(`@unicode/unicode-8.0.0/General_Category/${category}/code-points.mjs`);
  const points = [...mod.default].sort((a, b) => a - b);
  const out = [];
  for (const p of points) {
    if (out.length > 0 && out[out.length - 1][1] === p - 1) out[out.length - 1][1] = p;
    else out.push([p, p]);
  }
  return out;
}

(async () => {
  const result = {
    Nonspacing_Mark: await ranges('Nonspacing_Mark'),
    Punctuation: await ranges('Punctuation'),
    Format: await ranges('Format'),
  };
  if (process.argv.includes('--csharp')) {
    for (const [name, list] of Object.entries(result)) {
      const flat = list.flat().map((v) => '0x' + v.toString(16).toUpperCase());
      const lines = [];
      for (let i = 0; i < flat.length; i += 12) lines.push('        ' + flat.slice(i, i + 12).join(', ') + ',');
      process.stdout.write(`    // ${name}\n    [\n${lines.join('\n')}\n    ];\n`);
    }
  } else {
    process.stdout.write(JSON.stringify(result) + '\n');
  }
})();

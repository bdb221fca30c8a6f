// Prints, as JSON, the code point ranges ([first, last] pairs) that Unicode 9.0 leaves unassigned (General
// Category Cn). Hugging Face tokenizers 0.23.2 normalizes NFC/NFD/NFKC/NFKD with the
// unicode-normalization-alignments crate 0.1.12, whose tables are Unicode 9.0.0, so it leaves these code points
// as they are. NvEmbed's Unicode9Unassigned holds the same ranges; a test compares them, and
// `node tokenizer/unicode9-unassigned.js --csharp` prints them as a C# array initializer.
'use strict';

(async () => {
  const mod = await import('@unicode/unicode-9.0.0/General_Category/Unassigned/code-points.mjs');
  const points = [...mod.default].sort((a, b) => a - b);
  const ranges = [];
  for (const p of points) {
    if (ranges.length > 0 && ranges[ranges.length - 1][1] === p - 1) ranges[ranges.length - 1][1] = p;
    else ranges.push([p, p]);
  }
  if (process.argv.includes('--csharp')) {
    const flat = ranges.flat().map((v) => '0x' + v.toString(16).toUpperCase());
    const lines = [];
    for (let i = 0; i < flat.length; i += 10) lines.push('            ' + flat.slice(i, i + 10).join(', ') + ',');
    process.stdout.write(lines.join('\n') + '\n');
  } else {
    process.stdout.write(JSON.stringify({ Unassigned: ranges }) + '\n');
  }
})();

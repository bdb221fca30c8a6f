using System.Runtime.CompilerServices;

// The tokenizer's hot paths stackalloc scratch space per word and write it before reading it: zeroing it first
// was measurable on short words.
[module: SkipLocalsInit]

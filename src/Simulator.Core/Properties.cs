using System.Runtime.CompilerServices;

// Stack buffers (hashing) are always written before they are read.
[module: SkipLocalsInit]

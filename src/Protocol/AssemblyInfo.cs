using System.Runtime.CompilerServices;

// The codec's stackalloc'd scratch buffers are always written before they are read: zeroing them is wasted work on
// the per-request path.
[module: SkipLocalsInit]
